namespace CartRecovery.Persistence.Configuration;

/// <summary>Options shared by the SQLite and PostgreSQL reminder tables.</summary>
public abstract class ReminderTableOptions
{
    /// <summary>The database. Required. With the same connection string as a grain storage, both share one writer.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Whether the table migrates the schema at start; when false it only checks the version.</summary>
    public bool CreateSchema { get; set; }

    /// <summary>Most writes committed in one transaction. Default 4096 (keep equal to the storage's to share its writer).</summary>
    public int MaxBatchSize { get; set; } = RelationalGrainStorageOptions.DefaultMaxBatchSize;
}

/// <summary>Options of the SQLite reminder table.</summary>
public sealed class SqliteReminderTableOptions : ReminderTableOptions
{
    /// <summary>Creates options with <see cref="ReminderTableOptions.CreateSchema"/> true.</summary>
    public SqliteReminderTableOptions() => CreateSchema = true;

    /// <summary>SQLite's <c>synchronous</c> setting, as <see cref="SqliteStorageOptions.Synchronous"/>. Default "FULL".</summary>
    public string Synchronous { get; set; } = "FULL";
}

/// <summary>Options of the PostgreSQL reminder table (<see cref="ReminderTableOptions.CreateSchema"/> false by default).</summary>
public sealed class PostgresReminderTableOptions : ReminderTableOptions
{
}
