using Npgsql;

namespace CartRecovery.Persistence.Migrations.Internal;

// Applies PostgresMigrations in one transaction under a transaction-scoped advisory
// lock, so silos and migrate jobs starting together apply each version exactly once.
internal static class PostgresMigrationRunner
{
    // Any constant shared by every migrator of the schema ("CR_MIGR"); the old runtime used the same.
    private const long LockKey = 0x43525F4D494752;

    public static async Task<MigrationReport> MigrateAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken).ConfigureAwait(false);
        await ExecAsync(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken).ConfigureAwait(false);
        await using var read = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", connection, transaction);
        var current = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
        StorageMigrator.ThrowIfNewer(current, "Postgres");
        var applied = new List<int>();
        foreach (var migration in PostgresMigrations.All.Where(m => m.Version > current))
        {
            await ExecAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
            await using var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, description) VALUES ($1, $2)", connection, transaction)
            {
                Parameters = { new() { Value = migration.Version }, new() { Value = migration.Description } },
            };
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            applied.Add(migration.Version);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new MigrationReport("Postgres", current, applied.Count > 0 ? applied[^1] : current, applied);
    }

    public static async Task<int> SchemaVersionAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NOT NULL", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return 0;
            }
        }

        await using var command = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
    }

    private static async Task ExecAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
