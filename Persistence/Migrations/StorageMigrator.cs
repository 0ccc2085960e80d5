using CartRecovery.Persistence.Internal;
using CartRecovery.Persistence.Migrations.Internal;

namespace CartRecovery.Persistence.Migrations;

/// <summary>
/// Creates or upgrades the storage schema (grain state, reminders, <c>schema_migrations</c>):
/// applies the missing versions in one transaction, idempotently and safely when several
/// migrators run at once (PostgreSQL: an advisory lock; SQLite: an immediate transaction).
/// </summary>
public static class StorageMigrator
{
    /// <summary>The schema version this build reads and writes.</summary>
    public static int LatestVersion => SqliteMigrations.All[^1].Version;

    /// <summary>Applies the migrations <paramref name="connectionString"/>'s database lacks.</summary>
    /// <param name="provider">"Sqlite" or "Postgres" (case-insensitive; "PostgreSQL" also accepted).</param>
    /// <param name="connectionString">The database; for SQLite the file's directory is created if missing.</param>
    /// <param name="cancellationToken">Cancels the migration (its transaction rolls back).</param>
    /// <exception cref="InvalidOperationException">The database is at a newer version than this build knows.</exception>
    public static Task<MigrationReport> MigrateAsync(string provider, string connectionString, CancellationToken cancellationToken) =>
        Provider(provider) == DatabaseRegistry.Sqlite
            ? SqliteMigrationRunner.MigrateAsync(connectionString, cancellationToken)
            : PostgresMigrationRunner.MigrateAsync(connectionString, cancellationToken);

    /// <summary>The database's schema version: 0 when it has none yet.</summary>
    /// <param name="provider">"Sqlite" or "Postgres".</param>
    /// <param name="connectionString">The database.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public static Task<int> SchemaVersionAsync(string provider, string connectionString, CancellationToken cancellationToken) =>
        Provider(provider) == DatabaseRegistry.Sqlite
            ? SqliteMigrationRunner.SchemaVersionAsync(connectionString, cancellationToken)
            : PostgresMigrationRunner.SchemaVersionAsync(connectionString, cancellationToken);

    internal static string Provider(string provider) => provider.ToLowerInvariant() switch
    {
        "sqlite" => DatabaseRegistry.Sqlite,
        "postgres" or "postgresql" => DatabaseRegistry.Postgres,
        _ => throw new ArgumentException($"unknown storage provider '{provider}' (expected \"Sqlite\" or \"Postgres\")", nameof(provider)),
    };

    internal static void ThrowIfNewer(int current, string provider)
    {
        if (current > LatestVersion)
        {
            throw new InvalidOperationException($"the {provider} database schema is at version {current}, newer than this build understands ({LatestVersion}); upgrade the application");
        }
    }
}
