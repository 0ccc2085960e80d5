using CartRecovery.Persistence.Diagnostics;
using CartRecovery.Persistence.Internal.Postgres;
using CartRecovery.Persistence.Internal.Sqlite;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Persistence.Internal;

// The databases of one service container, one per distinct DatabaseSettings: named
// storages and the reminder table on the same database share its writer and connections.
// Disposed with the container, which flushes any writer still running.
internal sealed class DatabaseRegistry(StorageInstruments instruments, ILoggerFactory loggers) : IAsyncDisposable
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    private readonly Dictionary<DatabaseSettings, StorageDatabase> _databases = [];

    public StorageDatabase Get(DatabaseSettings settings)
    {
        lock (_databases)
        {
            if (!_databases.TryGetValue(settings, out var database))
            {
                database = settings.Provider switch
                {
                    Sqlite => SqliteDatabase.Create(settings, instruments, loggers),
                    Postgres => PostgresDatabase.Create(settings, instruments, loggers),
                    _ => throw new ArgumentException($"unknown storage provider '{settings.Provider}'", nameof(settings)),
                };
                _databases.Add(settings, database);
            }

            return database;
        }
    }

    public async ValueTask DisposeAsync()
    {
        StorageDatabase[] databases;
        lock (_databases)
        {
            databases = [.. _databases.Values];
            _databases.Clear();
        }

        foreach (var database in databases)
        {
            await database.DisposeAsync().ConfigureAwait(false);
        }
    }
}
