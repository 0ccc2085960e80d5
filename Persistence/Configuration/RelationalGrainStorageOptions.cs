using System.Text.Json;

namespace CartRecovery.Persistence.Configuration;

/// <summary>Options shared by the SQLite and PostgreSQL grain storages.</summary>
public abstract class RelationalGrainStorageOptions
{
    /// <summary>The default of <see cref="MaxBatchSize"/>.</summary>
    public const int DefaultMaxBatchSize = 4096;

    /// <summary>The database. Required.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// How states are serialized to JSON (pass a source-generated context's options). Default null:
    /// reflection-based System.Text.Json defaults.
    /// </summary>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }

    /// <summary>Most writes (states and reminders) committed in one transaction. Default 4096.</summary>
    public int MaxBatchSize { get; set; } = DefaultMaxBatchSize;

    /// <summary>
    /// Whether the storage migrates the schema when the silo starts; when false it only checks the
    /// schema version and fails the start if it is not current.
    /// </summary>
    public bool CreateSchema { get; set; }

    /// <summary>
    /// Whether this silo is the only process that writes grain states to the database (the embedded
    /// silo). The database then keeps a filter of the stored keys, filled when it opens and on every
    /// insert, and activating a grain whose key was never stored skips the read. Set it on every
    /// storage of that database, and never for a database that other silos or tools write: a state
    /// they store would read as missing. Default false.
    /// </summary>
    public bool SoleWriter { get; set; }

    /// <summary>The silo lifecycle stage at which the storage opens. Default <see cref="Orleans.ServiceLifecycleStage.RuntimeStorageServices"/>.</summary>
    public int InitStage { get; set; } = Orleans.ServiceLifecycleStage.RuntimeStorageServices;
}

/// <summary>Options of the SQLite grain storage.</summary>
public sealed class SqliteStorageOptions : RelationalGrainStorageOptions
{
    /// <summary>Creates options with <see cref="RelationalGrainStorageOptions.CreateSchema"/> true (an embedded database migrates itself).</summary>
    public SqliteStorageOptions() => CreateSchema = true;

    /// <summary>
    /// SQLite's <c>synchronous</c> setting for commits: "FULL" (default: a commit survives power
    /// loss; group commit pays its sync once per batch) or "NORMAL" (survives a process crash only).
    /// </summary>
    public string Synchronous { get; set; } = "FULL";
}

/// <summary>Options of the PostgreSQL grain storage.</summary>
public sealed class PostgresStorageOptions : RelationalGrainStorageOptions
{
    // CreateSchema stays false: the migrate command (the Helm pre-upgrade hook) owns the schema.
}
