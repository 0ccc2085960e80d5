using System.Collections.Concurrent;

namespace CartRecovery.Runtime.Partitions;

/// <summary>The partitions this silo owns right now.</summary>
internal sealed class PartitionTable
{
    private readonly ConcurrentDictionary<int, PartitionContext> _owned = new();

    public PartitionContext? Get(int partition) => _owned.TryGetValue(partition, out var p) ? p : null;

    public void Add(PartitionContext context) => _owned[context.Partition] = context;

    public PartitionContext? Remove(int partition) => _owned.TryRemove(partition, out var p) ? p : null;

    public IReadOnlyCollection<int> Owned => _owned.Keys.OrderBy(k => k).ToArray();

    public IEnumerable<PartitionContext> Contexts => _owned.Values;
}
