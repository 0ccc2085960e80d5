namespace CartRecovery.Runtime;

/// <summary>Maps grain identities to partitions; the one place placement is decided.</summary>
public sealed class PartitionMap(int partitions)
{
    public int Count { get; } = partitions > 0 ? partitions : throw new ArgumentOutOfRangeException(nameof(partitions), "must be positive");

    public int Of(GrainId id) => StableHash.Partition(id.PartitionKey, Count);

    public int OfKey(string key) => StableHash.Partition(GrainId.PartitionKeyOf(key), Count);
}
