using CartRecovery.Model.Registry;
using CartRecovery.TestSupport;
using Npgsql;

namespace CartRecovery.Model.Tests.Registry;

/// <summary>Each test gets its own throw-away database so promotions and locks never leak between tests.</summary>
public sealed class PostgresModelRegistryTests : ModelRegistryContract
{
    private readonly PostgresDatabase _database = new();

    public override Task DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task Lock_is_released_when_the_holding_session_dies()
    {
        var held = await Registry.TryAcquireTrainerLockAsync();
        Assert.NotNull(held);
        Assert.Null(await CreateRegistry().TryAcquireTrainerLockAsync());

        // Terminate the holder's backend as a crash would; PostgreSQL drops its advisory locks.
        var pid = int.Parse(held.Holder.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
        await ExecuteAsync($"SELECT pg_terminate_backend({pid})");
        ITrainerLock? taken = null;
        for (var i = 0; i < 50 && taken is null; i++)
        {
            taken = await CreateRegistry().TryAcquireTrainerLockAsync();
            await Task.Delay(taken is null ? 50 : 0);
        }

        Assert.NotNull(taken);
        await taken.DisposeAsync();
        await held.DisposeAsync();
    }

    protected override IModelRegistry CreateRegistry() => new PostgresModelRegistry(_database.ConnectionString);

    protected override Task SetUpDatabaseAsync() => _database.InitializeAsync();

    protected override async Task ExecuteAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(_database.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    protected override async Task<IReadOnlyList<string>> TablesAsync()
    {
        await using var conn = new NpgsqlConnection(_database.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name", conn);
        var names = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
