namespace CartRecovery.Persistence.Migrations;

// One schema version in one dialect. Released versions are never edited; a change is a new version.
internal sealed record Migration(int Version, string Description, string Sql);

/// <summary>What <see cref="StorageMigrator.MigrateAsync"/> did: the versions before and after, and those it applied.</summary>
/// <param name="Provider">"Sqlite" or "Postgres".</param>
/// <param name="FromVersion">The schema version found (0 for an empty database).</param>
/// <param name="ToVersion">The schema version now.</param>
/// <param name="Applied">The versions applied by this call, in order (empty when the schema was current).</param>
public sealed record MigrationReport(string Provider, int FromVersion, int ToVersion, IReadOnlyList<int> Applied);
