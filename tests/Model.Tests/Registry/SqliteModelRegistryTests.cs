using CartRecovery.Model.Registry;
using CartRecovery.TestSupport;
using Microsoft.Data.Sqlite;

namespace CartRecovery.Model.Tests.Registry;

public sealed class SqliteModelRegistryTests : ModelRegistryContract
{
    private readonly TempDirectory _dir = new("cr-model-");
    private readonly ManualTime _time = new();

    private string ConnectionString => $"Data Source={_dir.File("registry.db")};Pooling=False";

    public override Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Lock_of_a_crashed_holder_expires_after_its_lease()
    {
        var crashed = await Registry.TryAcquireTrainerLockAsync();
        Assert.NotNull(crashed);
        var other = CreateRegistry();
        Assert.Null(await other.TryAcquireTrainerLockAsync());

        // The holder never releases; once its lease has passed another trainer may take over.
        _time.Advance(TimeSpan.FromMinutes(6));
        await using var taken = await other.TryAcquireTrainerLockAsync();
        Assert.NotNull(taken);

        // The old handle's release must not free the new holder's lock.
        await crashed.DisposeAsync();
        Assert.Null(await CreateRegistry().TryAcquireTrainerLockAsync());
    }

    protected override string LegacyTable => """
        CREATE TABLE model_versions (
            id INTEGER PRIMARY KEY AUTOINCREMENT, algorithm TEXT NOT NULL, features TEXT NOT NULL, hyper_parameters TEXT NOT NULL,
            training_from TEXT NULL, training_to TEXT NULL, metrics TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('candidate', 'active', 'retired')), created_at TEXT NOT NULL, payload TEXT NOT NULL)
        """;

    protected override IModelRegistry CreateRegistry() => new SqliteModelRegistry(ConnectionString, TimeSpan.FromMinutes(5), _time);

    protected override Task SetUpDatabaseAsync() => Task.CompletedTask;

    protected override async Task ExecuteAsync(string sql)
    {
        await using var conn = new SqliteConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    protected override async Task<IReadOnlyList<string>> TablesAsync()
    {
        await using var conn = new SqliteConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
        var names = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    private sealed class ManualTime : TimeProvider
    {
        private TimeSpan _offset;

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + _offset;

        public void Advance(TimeSpan by) => _offset += by;
    }
}
