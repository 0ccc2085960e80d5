namespace CartRecovery.Runtime.Storage;

/// <summary>A stored grain state: its JSON payload and version (the ETag).</summary>
public sealed record StoredState(string Json, long Version);

/// <summary>
/// One state change in a checkpoint: the state as UTF-8 JSON (null for a delete), as the grain
/// serialized it, so a provider that stores text needs no second encoding.
/// <see cref="ExpectedVersion"/> null means the record must not exist yet; a delete carries the
/// version it removes.
/// </summary>
public sealed record StateWrite(string GrainType, string GrainKey, string StateName, byte[]? Utf8Json, long? ExpectedVersion)
{
    public bool IsDelete => Utf8Json is null;

    /// <summary>The payload as a string, for providers whose driver takes text.</summary>
    public string? Json => Utf8Json is null ? null : System.Text.Encoding.UTF8.GetString(Utf8Json);

    /// <summary>A write of JSON text.</summary>
    public static StateWrite FromJson(string grainType, string grainKey, string stateName, string? json, long? expectedVersion) =>
        new(grainType, grainKey, stateName, json is null ? null : System.Text.Encoding.UTF8.GetBytes(json), expectedVersion);

    public override string ToString() => $"{GrainType}/{GrainKey} state '{StateName}'";
}

/// <summary>Names one stored state: the grain and the state's name.</summary>
public readonly record struct StateKey(string GrainType, string GrainKey, string StateName);

/// <summary>A durable reminder row.</summary>
public sealed record ReminderRow(string GrainType, string GrainKey, string Name, DateTimeOffset DueAt, TimeSpan? Period);

/// <summary>A reminder registration or removal, stored with the partition's checkpoint.</summary>
public sealed record ReminderChange(ReminderRow Row, bool Delete);

/// <summary>The right to write a partition: valid only while storage still holds this epoch.</summary>
public readonly record struct PartitionFence(int Partition, long Epoch);

/// <summary>A silo's membership row: where gateways reach it and what it owns.</summary>
public sealed record SiloRow(string SiloId, string InternalUrl, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, IReadOnlyList<int> Partitions);

/// <summary>The result of taking a partition: the new epoch and the last checkpointed event offset.</summary>
public readonly record struct PartitionLease(long Epoch, long? Offset);

/// <summary>A partition's owner and epoch as stored.</summary>
public sealed record PartitionRow(int Partition, string? Owner, long Epoch, long? Offset, DateTimeOffset UpdatedAt);

/// <summary>
/// Everything a partition writes in one checkpoint transaction: dirty states, reminder changes and
/// the event-offset watermark whose effects the states hold.
/// </summary>
public sealed record Checkpoint(PartitionFence Fence, IReadOnlyList<StateWrite> States, IReadOnlyList<ReminderChange> Reminders, long? Offset);

/// <summary>
/// Storage provider contract. Every write checks the partition epoch in the same transaction,
/// so a silo that lost a partition cannot overwrite it; every state write checks its version.
/// </summary>
public interface IGrainStorage : IAsyncDisposable
{
    string ProviderName { get; }

    /// <summary>Creates or migrates the schema; safe to run concurrently and repeatedly.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    Task<int> SchemaVersionAsync(CancellationToken cancellationToken);

    Task<StoredState?> ReadAsync(string grainType, string grainKey, string stateName, CancellationToken cancellationToken);

    /// <summary>Reads several states in one go (a batch of activations); answer i is for key i, null where nothing is stored.</summary>
    Task<StoredState?[]> ReadManyAsync(IReadOnlyList<StateKey> keys, CancellationToken cancellationToken);

    /// <summary>
    /// Writes one checkpoint atomically and returns the new version of each state write, in order
    /// (0 for deletes). Throws <see cref="StalePartitionEpochException"/> or
    /// <see cref="InconsistentStateException"/> (naming the grain) and then writes nothing.
    /// </summary>
    Task<long[]> WriteCheckpointAsync(Checkpoint checkpoint, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the checkpoints of several partitions (at most one each) in one transaction: all of
    /// them or none. Returns each checkpoint's state versions, in order. On a stale epoch or a
    /// version conflict in any of them it throws as <see cref="WriteCheckpointAsync"/> does and
    /// writes nothing; the caller then writes them one by one to confine the failure.
    /// </summary>
    Task<long[][]> WriteCheckpointsAsync(IReadOnlyList<Checkpoint> checkpoints, CancellationToken cancellationToken);

    /// <summary>Takes a partition for <paramref name="owner"/>: bumps its epoch, returns it and the checkpointed event offset.</summary>
    Task<PartitionLease> AcquirePartitionAsync(int partition, string owner, CancellationToken cancellationToken);

    /// <summary>Gives a partition up if <paramref name="fence"/> still holds it (owner cleared, epoch kept).</summary>
    Task ReleasePartitionAsync(PartitionFence fence, CancellationToken cancellationToken);

    Task<IReadOnlyList<PartitionRow>> ListPartitionsAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<ReminderRow>> LoadRemindersAsync(int partition, CancellationToken cancellationToken);

    /// <summary>All states of one grain type (for reports and lookups), streamed.</summary>
    IAsyncEnumerable<(string GrainKey, string Json)> ScanAsync(string grainType, string stateName, CancellationToken cancellationToken);

    /// <summary>Keys of a grain type ending in <paramref name="suffix"/> (finds "owner/id" keys by id).</summary>
    Task<IReadOnlyList<string>> FindKeysAsync(string grainType, string suffix, CancellationToken cancellationToken);

    Task UpsertSiloAsync(SiloRow silo, CancellationToken cancellationToken);

    Task RemoveSiloAsync(string siloId, CancellationToken cancellationToken);

    Task<IReadOnlyList<SiloRow>> ListSilosAsync(CancellationToken cancellationToken);

    Task<bool> PingAsync(CancellationToken cancellationToken);
}
