using Npgsql;
using Xunit;

namespace CartRecovery.TestSupport;

/// <summary>
/// A throw-away PostgreSQL database, for one test class (an xunit fixture) or one benchmark run.
/// The server comes from <c>CARTRECOVERY_TEST_PG</c> (the test command starts a local one and sets
/// it); each instance creates its own database, so test assemblies and benchmarks running at the
/// same time never share state. Dropped at the end.
/// </summary>
public sealed class PostgresDatabase(string prefix = "t_") : IAsyncLifetime, IAsyncDisposable
{
    public const string EnvironmentVariable = "CARTRECOVERY_TEST_PG";

    public const string DefaultServer = "Host=127.0.0.1;Port=5432;Username=cartrecovery;Password=cartrecovery;Database=postgres";

    public string Name { get; } = prefix + Guid.NewGuid().ToString("N")[..16];

    public string ConnectionString { get; private set; } = "";

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } s ? s : DefaultServer;

    /// <summary>Creates a database named <paramref name="prefix"/> and a random suffix.</summary>
    public static async Task<PostgresDatabase> CreateAsync(string prefix, CancellationToken cancellationToken)
    {
        var db = new PostgresDatabase(prefix);
        await db.CreateAsync(cancellationToken);
        return db;
    }

    public Task InitializeAsync() => CreateAsync(CancellationToken.None);

    /// <summary>A server setting (e.g. synchronous_commit), for the record.</summary>
    public async Task<string> SettingAsync(string name, CancellationToken cancellationToken)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand("SELECT current_setting($1)", conn) { Parameters = { new() { Value = name } } };
        return (string)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(ServerConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        await using (var conn = new NpgsqlConnection(ServerConnectionString))
        {
            await conn.OpenAsync(cancellationToken);
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {Name}", conn);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        ConnectionString = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = Name, Pooling = true }.ConnectionString;
    }
}
