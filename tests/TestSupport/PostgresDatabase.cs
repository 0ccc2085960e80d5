using Xunit;
using Npgsql;

namespace CartRecovery.TestSupport;

/// <summary>
/// A throw-away PostgreSQL database for one test class. The server comes from
/// <c>CARTRECOVERY_TEST_PG</c> (the test command starts a local one and sets it);
/// each instance creates its own database so test assemblies running in parallel never share state.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    public const string EnvironmentVariable = "CARTRECOVERY_TEST_PG";

    public const string DefaultServer = "Host=127.0.0.1;Port=5432;Username=cartrecovery;Password=cartrecovery;Database=postgres";

    private readonly string _name = "t_" + Guid.NewGuid().ToString("N")[..16];

    public string ConnectionString { get; private set; } = "";

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } s ? s : DefaultServer;

    public async Task InitializeAsync()
    {
        await using (var conn = new NpgsqlConnection(ServerConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {_name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        ConnectionString = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = _name, Pooling = true }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(ServerConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
