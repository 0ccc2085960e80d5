using System.Text.Json;
using CartRecovery.Persistence.Hosting;
using CartRecovery.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace CartRecovery.Persistence.Tests.Support;

// A database of one provider for a test class, and the provider-specific ways to reach it.
public abstract class TestDatabase : IAsyncDisposable
{
    // "Sqlite" or "Postgres", as StorageMigrator takes it.
    public abstract string Provider { get; }

    public abstract string ConnectionString { get; }

    public abstract void AddGrainStorage(IServiceCollection services, string name, bool createSchema, JsonSerializerOptions? json);

    public abstract void AddReminderTable(IServiceCollection services, bool createSchema);

    // Runs SQL on a connection of its own (to break or inspect the database behind the provider's back).
    public abstract Task ExecuteAsync(string sql);

    public abstract Task<object?> ScalarAsync(string sql);

    // Holds the database's write lock until disposed: the writer's next transaction waits, and
    // writes queued meanwhile all go into the transaction after it.
    public abstract Task<IAsyncDisposable> BlockWritesAsync();

    // SQL that makes the database refuse reminders named name (an error inside a transaction).
    public abstract string RefuseRemindersNamed(string name);

    // Waits until the provider's writer is blocked by BlockWritesAsync, when the
    // database can show it (PostgreSQL can; SQLite's busy wait is invisible, so it returns at once).
    public virtual Task WaitForBlockedWriterAsync() => Task.CompletedTask;

    // Whether WaitForBlockedWriterAsync really waits.
    public virtual bool ShowsBlockedWriter => false;

    public abstract ValueTask DisposeAsync();
}

// A fresh SQLite file in a temp directory of its own (the file's own directory, nested in it,
// is created by the provider), deleted with the directory on dispose.
public sealed class SqliteTestDatabase : TestDatabase
{
    private readonly TempDirectory _dir = new("cr-persistence-");

    public string FilePath => _dir.File(Path.Combine("nested", "store.db"));

    public override string Provider => "Sqlite";

    public override string ConnectionString => $"Data Source={FilePath}";

    public override void AddGrainStorage(IServiceCollection services, string name, bool createSchema, JsonSerializerOptions? json) =>
        services.AddSqliteGrainStorage(name, ob => ob.Configure(o =>
        {
            o.ConnectionString = ConnectionString;
            o.CreateSchema = createSchema;
            o.JsonSerializerOptions = json;
        }));

    public override void AddReminderTable(IServiceCollection services, bool createSchema) =>
        services.UseSqliteReminderService(ob => ob.Configure(o =>
        {
            o.ConnectionString = ConnectionString;
            o.CreateSchema = createSchema;
        }));

    public override async Task ExecuteAsync(string sql)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public override async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    public override Task<IAsyncDisposable> BlockWritesAsync()
    {
        var connection = Open();
        var transaction = connection.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: takes the write lock now
        return Task.FromResult<IAsyncDisposable>(new Release(async () =>
        {
            await transaction.RollbackAsync();
            await connection.DisposeAsync();
        }));
    }

    public override string RefuseRemindersNamed(string name) =>
        $"CREATE TRIGGER refuse_{name} BEFORE INSERT ON reminders WHEN NEW.reminder_name = '{name}' BEGIN SELECT RAISE(ABORT, 'refused'); END";

    public override ValueTask DisposeAsync()
    {
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    private Microsoft.Data.Sqlite.SqliteConnection Open()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        var connection = new Microsoft.Data.Sqlite.SqliteConnection(ConnectionString + ";Default Timeout=30");
        connection.Open();
        return connection;
    }
}

// Runs an action once when disposed.
internal sealed class Release(Func<Task> action) : IAsyncDisposable
{
    private int _done;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            await action();
        }
    }
}
