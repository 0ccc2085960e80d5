namespace CartRecovery.Runtime;

/// <summary>
/// A grain's durable state. <see cref="MarkDirty"/> schedules it for the partition's next batched
/// checkpoint (write-behind); <see cref="WriteStateAsync"/> persists at once.
/// </summary>
public interface IPersistentState<TState> where TState : new()
{
    TState State { get; set; }

    /// <summary>Storage version the in-memory state was read from or last written as; null when no record exists.</summary>
    string? Etag { get; }

    bool RecordExists { get; }

    Task ReadStateAsync();

    Task WriteStateAsync();

    Task ClearStateAsync();

    /// <summary>Include this state in the partition's next checkpoint.</summary>
    void MarkDirty();
}
