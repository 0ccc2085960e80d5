using CartRecovery.Persistence.Migrations;
using CartRecovery.Persistence.Tests.Support;

namespace CartRecovery.Persistence.Tests.Migrations;

public sealed class SqliteMigrationTests : MigrationTests
{
    protected override string Version2Schema => OldSchema.Sqlite;

    protected override string Version2Rows => """
        INSERT INTO grain_state VALUES ('cart', 's1/c1', 'cart', 3, 7, '{"Value":42,"Writer":"old"}', 1700000000000);
        INSERT INTO partitions VALUES (3, 'silo-a', 5, 100, 1700000000000);
        INSERT INTO reminders VALUES ('cart', 's1/c1', 'nudge', 3, 1700000000000, 60000);
        INSERT INTO silos VALUES ('silo-a', 'http://a', 1700000000000, 1700000000000, '3');
        """;

    protected override Task<TestDatabase> CreateDatabaseAsync() => Task.FromResult<TestDatabase>(new SqliteTestDatabase());

    protected override async Task<bool> TableExistsAsync(string table) =>
        Convert.ToInt64(await Database.ScalarAsync($"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'")) > 0;

    [Fact]
    public async Task AskingTheVersionOfAMissingFileDoesNotCreateIt()
    {
        var file = ((SqliteTestDatabase)Database).FilePath;

        Assert.Equal(0, await StorageMigrator.SchemaVersionAsync("Sqlite", Database.ConnectionString, CancellationToken.None));
        Assert.False(File.Exists(file));
        await StorageMigrator.MigrateAsync("sqlite", Database.ConnectionString, CancellationToken.None);
        Assert.True(File.Exists(file), "the migrator creates the file and its directory");
    }
}

public sealed class PostgresMigrationTests : MigrationTests
{
    protected override string Version2Schema => OldSchema.Postgres;

    protected override string Version2Rows => """
        INSERT INTO grain_state VALUES ('cart', 's1/c1', 'cart', 3, 7, '{"Value":42,"Writer":"old"}', now());
        INSERT INTO partitions VALUES (3, 'silo-a', 5, 100, now());
        INSERT INTO reminders VALUES ('cart', 's1/c1', 'nudge', 3, now(), 60000);
        INSERT INTO silos VALUES ('silo-a', 'http://a', now(), now(), '{3}');
        """;

    protected override async Task<TestDatabase> CreateDatabaseAsync()
    {
        var database = new PostgresTestDatabase();
        await ((IAsyncLifetime)database).InitializeAsync();
        return database;
    }

    protected override async Task<bool> TableExistsAsync(string table) =>
        await Database.ScalarAsync($"SELECT to_regclass('{table}') IS NOT NULL") is true;

    public override async Task DisposeAsync() => await ((IAsyncLifetime)Database).DisposeAsync();
}
