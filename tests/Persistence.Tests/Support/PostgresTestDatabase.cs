using System.Text.Json;
using CartRecovery.Persistence.Hosting;
using CartRecovery.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CartRecovery.Persistence.Tests.Support;

// A throw-away PostgreSQL database (see PostgresDatabase) for one test class.
public sealed class PostgresTestDatabase : TestDatabase, IAsyncLifetime
{
    private readonly PostgresDatabase _database = new();

    public override string Provider => "Postgres";

    public override string ConnectionString => _database.ConnectionString;

    public Task InitializeAsync() => _database.InitializeAsync();

    public override void AddGrainStorage(IServiceCollection services, string name, bool createSchema, JsonSerializerOptions? json) =>
        services.AddPostgresGrainStorage(name, ob => ob.Configure(o =>
        {
            o.ConnectionString = ConnectionString;
            o.CreateSchema = createSchema;
            o.JsonSerializerOptions = json;
        }));

    public override void AddReminderTable(IServiceCollection services, bool createSchema) =>
        services.UsePostgresReminderService(ob => ob.Configure(o =>
        {
            o.ConnectionString = ConnectionString;
            o.CreateSchema = createSchema;
        }));

    public override async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public override async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public override async Task<IAsyncDisposable> BlockWritesAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();

        // EXCLUSIVE blocks every INSERT, UPDATE and DELETE (they take ROW EXCLUSIVE) but no reads.
        await using (var command = new NpgsqlCommand("LOCK TABLE grain_state, reminders IN EXCLUSIVE MODE", connection, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        return new Release(async () =>
        {
            await transaction.RollbackAsync();
            await connection.DisposeAsync();
        });
    }

    public override string RefuseRemindersNamed(string name) =>
        $"ALTER TABLE reminders ADD CONSTRAINT refuse_{name} CHECK (reminder_name <> '{name}')";

    public override bool ShowsBlockedWriter => true;

    public override async Task WaitForBlockedWriterAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (Convert.ToInt64(await ScalarAsync("SELECT count(*) FROM pg_locks WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")) == 0)
        {
            await Task.Delay(5, timeout.Token);
        }
    }

    // The id of the transaction that last wrote a row (equal for rows written by one transaction).
    public async Task<string> WriterTransactionAsync(string table, string where) =>
        Convert.ToString(await ScalarAsync($"SELECT xmin::text FROM {table} WHERE {where}"))!;

    Task IAsyncLifetime.DisposeAsync() => _database.DisposeAsync();

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
