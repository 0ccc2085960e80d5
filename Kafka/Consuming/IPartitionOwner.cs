namespace CartRecovery.Kafka.Consuming;

/// <summary>
/// The silo side of a <see cref="PartitionedConsumer"/>. Callbacks for one consumer never overlap with each other's
/// rebalance steps: assignment and revocation run on the consumer's poll thread, which waits for the returned task.
/// </summary>
public interface IPartitionOwner
{
    /// <summary>
    /// The group gave us these partitions. Acquire ownership before returning; nothing is delivered for them until
    /// then. Return start offsets to seek to (e.g. from a checkpoint) or null/missing entries to resume from the
    /// group's committed offset.
    /// </summary>
    Task<IReadOnlyDictionary<int, long>?> OnAssignedAsync(IReadOnlyList<int> partitions);

    /// <summary>
    /// These partitions are about to move. Delivery to them has stopped and no handler call is running; flush, store
    /// final offsets with <see cref="PartitionedConsumer.StoreOffset"/>, and release ownership. The stored offsets are
    /// committed right after this returns and before another member can take the partitions.
    /// </summary>
    Task OnRevokedAsync(IReadOnlyList<int> partitions);

    /// <summary>
    /// The partitions were taken away without a hand-over (session timed out): another member may already own them,
    /// so offsets can no longer be stored. Defaults to <see cref="OnRevokedAsync"/>.
    /// </summary>
    Task OnLostAsync(IReadOnlyList<int> partitions) => OnRevokedAsync(partitions);

    /// <summary>
    /// Records of one partition in offset order; calls for the same partition never overlap, different partitions run
    /// concurrently. Throwing stops the consumer (its <see cref="PartitionedConsumer.Completion"/> faults), so
    /// bad records should be dead-lettered, not thrown.
    /// </summary>
    Task OnMessagesAsync(int partition, IReadOnlyList<ConsumedMessage> batch);
}
