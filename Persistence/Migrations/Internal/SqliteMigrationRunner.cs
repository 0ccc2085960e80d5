using CartRecovery.Persistence.Internal.Sqlite;
using Microsoft.Data.Sqlite;

namespace CartRecovery.Persistence.Migrations.Internal;

// Applies SqliteMigrations in one IMMEDIATE transaction: a second migrator waits
// for the write lock (the busy timeout), then finds the schema current and applies nothing.
internal static class SqliteMigrationRunner
{
    public static async Task<MigrationReport> MigrateAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(SqliteConnections.Normalize(connectionString));
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

        // WAL mode is a property of the file and cannot change inside a transaction.
        await ExecAsync(connection, null, "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=30000;", cancellationToken).ConfigureAwait(false);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await ExecAsync(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)", cancellationToken).ConfigureAwait(false);
        var current = await CurrentAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        StorageMigrator.ThrowIfNewer(current, "Sqlite");
        var applied = new List<int>();
        foreach (var migration in SqliteMigrations.All.Where(m => m.Version > current))
        {
            await ExecAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
            await using var record = SqliteConnections.Command(connection, "INSERT INTO schema_migrations VALUES ($v, $d, $t)",
                ("$v", migration.Version), ("$d", migration.Description), ("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            record.Transaction = transaction;
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            applied.Add(migration.Version);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new MigrationReport("Sqlite", current, applied.Count > 0 ? applied[^1] : current, applied);
    }

    public static async Task<int> SchemaVersionAsync(string connectionString, CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.Mode != SqliteOpenMode.Memory && builder.DataSource is { Length: > 0 } file && file != ":memory:" && !File.Exists(file))
        {
            return 0; // asking must not create the file
        }

        await using var connection = new SqliteConnection(SqliteConnections.Normalize(connectionString));
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var exists = SqliteConnections.Command(connection, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_migrations'");
        if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false)) == 0)
        {
            return 0;
        }

        return await CurrentAsync(connection, null, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> CurrentAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = SqliteConnections.Command(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
        command.Transaction = transaction;
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
    }

    private static async Task ExecAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = SqliteConnections.Command(connection, sql);
        command.Transaction = transaction;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
