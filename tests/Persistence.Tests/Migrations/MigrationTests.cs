using CartRecovery.Persistence.Migrations;
using CartRecovery.Persistence.Tests.Support;
using Orleans;
using Orleans.Runtime;

namespace CartRecovery.Persistence.Tests.Migrations;

// Schema migrations on an empty database, concurrently, and from the old runtime's version 2.
public abstract class MigrationTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    protected TestDatabase Database => _database;

    // The old runtime's schema at version 2 (its migrations 1 and 2 and their rows in schema_migrations).
    protected abstract string Version2Schema { get; }

    // Rows of the old runtime: a cart state at version 7, a partition, a reminder and a silo.
    protected abstract string Version2Rows { get; }

    protected abstract Task<TestDatabase> CreateDatabaseAsync();

    protected abstract Task<bool> TableExistsAsync(string table);

    public async Task InitializeAsync() => _database = await CreateDatabaseAsync();

    public virtual async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task AFreshDatabaseMigratesToTheLatestVersionAndASecondRunAppliesNothing()
    {
        Assert.Equal(0, await StorageMigrator.SchemaVersionAsync(Database.Provider, Database.ConnectionString, CancellationToken.None));

        var first = await StorageMigrator.MigrateAsync(Database.Provider, Database.ConnectionString, CancellationToken.None);
        var second = await StorageMigrator.MigrateAsync(Database.Provider, Database.ConnectionString, CancellationToken.None);

        Assert.Equal([1, 2, 3, 4], first.Applied);
        Assert.Equal((0, 4), (first.FromVersion, first.ToVersion));
        Assert.Empty(second.Applied);
        Assert.Equal((4, 4), (second.FromVersion, second.ToVersion));
        Assert.Equal(StorageMigrator.LatestVersion, await StorageMigrator.SchemaVersionAsync(Database.Provider, Database.ConnectionString, CancellationToken.None));
        Assert.False(await TableExistsAsync("partitions"));
        Assert.False(await TableExistsAsync("silos"));
        Assert.True(await TableExistsAsync("event_journal"));
    }

    [Fact]
    public async Task ConcurrentMigratorsApplyEachVersionExactlyOnce()
    {
        var reports = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            Task.Run(() => StorageMigrator.MigrateAsync(Database.Provider, Database.ConnectionString, CancellationToken.None))));

        Assert.Equal([1, 2, 3, 4], reports.SelectMany(r => r.Applied).Order());
        Assert.All(reports, r => Assert.Equal(4, r.ToVersion));
        Assert.Equal(4L, Convert.ToInt64(await Database.ScalarAsync("SELECT count(*) FROM schema_migrations")));
    }

    [Fact]
    public async Task AVersion2DatabaseIsUpgradedKeepingItsGrainStates()
    {
        await Database.ExecuteAsync(Version2Schema);
        await Database.ExecuteAsync(Version2Rows);

        var report = await StorageMigrator.MigrateAsync(Database.Provider, Database.ConnectionString, CancellationToken.None);

        Assert.Equal([3, 4], report.Applied);
        Assert.Equal(2, report.FromVersion);
        Assert.False(await TableExistsAsync("partitions"));
        Assert.False(await TableExistsAsync("silos"));
        Assert.Equal(1L, Convert.ToInt64(await Database.ScalarAsync("SELECT count(*) FROM legacy_reminders")));

        await using var host = await StorageHost.StartAsync(Database, createSchema: false, reminders: true);
        var id = GrainId.Create("cart", "s1/c1");
        var state = new GrainState<Counter>();
        await host.Storage.ReadStateAsync("cart", id, state);
        Assert.Equal((42, "old", "7"), (state.State!.Value, state.State.Writer, state.ETag));

        state.State.Value = 43;
        await host.Storage.WriteStateAsync("cart", id, state);
        await host.Storage.WriteStateAsync("cart", GrainId.Create("cart", "s2/c2"), new GrainState<Counter>(new Counter()));
        Assert.Equal("8", state.ETag);
        Assert.NotNull(await host.Reminders.UpsertRow(new ReminderEntry { GrainId = id, ReminderName = "nudge", StartAt = DateTime.UtcNow, Period = TimeSpan.FromMinutes(1) }));
    }

    [Fact]
    public async Task AProviderWithoutCreateSchemaRefusesAnUnmigratedDatabaseNamingTheMigrateCommand()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StorageHost.StartAsync(Database, createSchema: false));

        Assert.Contains("migrate", error.Message);
        Assert.Contains("schema version 0", error.Message);
    }
}
