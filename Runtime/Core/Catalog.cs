using System.Collections.Concurrent;

namespace CartRecovery.Runtime;

/// <summary>Live activations by grain id. Creating an entry is cheap; activation happens in its first turn.</summary>
internal sealed class Catalog(GrainRuntime runtime)
{
    private readonly ConcurrentDictionary<GrainId, GrainActivation> _activations = new();

    public int Count => _activations.Count;

    public IEnumerable<GrainActivation> All => _activations.Values;

    public GrainActivation? Find(GrainId id) => _activations.TryGetValue(id, out var existing) ? existing : null;

    public GrainActivation GetOrCreate(GrainId id)
    {
        if (_activations.TryGetValue(id, out var existing))
        {
            return existing;
        }

        var partition = runtime.Map.Of(id);
        var context = runtime.Partitions.Get(partition) ?? throw new PartitionNotOwnedException(id, partition);
        var registration = runtime.Registration(id.Type);
        var created = _activations.GetOrAdd(id, static (gid, arg) => new GrainActivation(gid, arg.registration, arg.context, arg.runtime), (registration, context, runtime));
        context.Activations.TryAdd(id, created);
        return created;
    }

    public void Remove(GrainActivation activation)
    {
        _activations.TryRemove(new KeyValuePair<GrainId, GrainActivation>(activation.Id, activation));
        activation.Partition.Activations.TryRemove(new KeyValuePair<GrainId, GrainActivation>(activation.Id, activation));
    }
}
