using CartRecovery.Runtime.Storage;
using CartRecovery.Runtime.Storage.Postgres;
using CartRecovery.Runtime.Storage.Sqlite;
using CartRecovery.TestSupport;

namespace CartRecovery.Runtime.Tests.Storage;

/// <summary>Creates storage instances over one database per test class.</summary>
public interface IStorageProvider : IAsyncLifetime
{
    /// <summary>A new client over the same database (as a second silo process would have).</summary>
    IGrainStorage Create();
}

public sealed class SqliteProvider : IStorageProvider
{
    private readonly string _connectionString = TestSilo.TempSqlite();

    public IGrainStorage Create() => new SqliteGrainStorage(_connectionString);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Task.CompletedTask;
}

public sealed class PostgresProvider : IStorageProvider
{
    private readonly PostgresDatabase _database = new();

    public IGrainStorage Create() => new PostgresGrainStorage(_database.ConnectionString);

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();
}
