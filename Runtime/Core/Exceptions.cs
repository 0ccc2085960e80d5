namespace CartRecovery.Runtime;

/// <summary>A write carried an ETag that no longer matches storage: re-read and decide again.</summary>
public sealed class InconsistentStateException(string message, string? storedEtag = null, string? currentEtag = null, string? grainState = null)
    : Exception(message)
{
    /// <summary>Which grain state conflicted ("type/key state 'name'").</summary>
    public string? GrainState { get; } = grainState;

    public string? StoredEtag { get; } = storedEtag;

    public string? CurrentEtag { get; } = currentEtag;
}

/// <summary>A checkpoint was refused because another silo took the partition (a newer epoch).</summary>
public sealed class StalePartitionEpochException(int partition, long epoch, long? current)
    : Exception($"partition {partition}: epoch {epoch} is stale (storage holds {current?.ToString() ?? "no owner"}); the write was rejected")
{
    public int Partition { get; } = partition;
}

/// <summary>This silo does not own the partition of the grain that was called.</summary>
public sealed class PartitionNotOwnedException(GrainId grain, int partition)
    : Exception($"grain {grain} lives in partition {partition}, which this silo does not own")
{
    public GrainId Grain { get; } = grain;

    public int Partition { get; } = partition;
}

/// <summary>A grain's stored state could not be read or deserialized; nothing stored was changed.</summary>
public sealed class GrainStateException(string message, Exception? inner = null) : Exception(message, inner);
