using Npgsql;

namespace CartRecovery.Bench.Support;

/// <summary>
/// A throw-away PostgreSQL database for one run, on the server named by <c>CARTRECOVERY_TEST_PG</c>
/// (default: the local test server). Dropped on dispose.
/// </summary>
internal sealed class ThrowawayPostgres : IAsyncDisposable
{
    public const string EnvironmentVariable = "CARTRECOVERY_TEST_PG";

    public const string DefaultServer = "Host=127.0.0.1;Port=5432;Username=cartrecovery;Password=cartrecovery;Database=postgres";

    private readonly string _name = "bench_" + Guid.NewGuid().ToString("N")[..16];

    private ThrowawayPostgres()
    {
    }

    public string ConnectionString { get; private set; } = "";

    public string Name => _name;

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } s ? s : DefaultServer;

    public static async Task<ThrowawayPostgres> CreateAsync(CancellationToken cancellationToken)
    {
        var db = new ThrowawayPostgres();
        await using (var conn = new NpgsqlConnection(ServerConnectionString))
        {
            await conn.OpenAsync(cancellationToken);
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {db._name}", conn);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        db.ConnectionString = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = db._name, Pooling = true }.ConnectionString;
        return db;
    }

    /// <summary>A server setting (e.g. synchronous_commit), for the record.</summary>
    public async Task<string> SettingAsync(string name, CancellationToken cancellationToken)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand("SELECT current_setting($1)", conn) { Parameters = { new() { Value = name } } };
        return (string)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(ServerConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
