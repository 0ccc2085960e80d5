using System.Collections.Concurrent;
using CartRecovery.Kafka.Consuming;

namespace CartRecovery.Kafka.Tests.Support;

/// <summary>
/// A partition owner that records everything it is told, claims partitions in a shared registry (to catch two
/// owners at once), and stores offsets the way a test tells it to.
/// </summary>
public sealed class RecordingOwner(
    string name,
    EventLog? log = null,
    ConcurrentDictionary<int, string>? registry = null,
    Signal? changed = null) : IPartitionOwner
{
    private readonly Lock _gate = new();
    private readonly HashSet<int> _owned = [];
    private readonly List<ConsumedMessage> _received = [];

    public string Name { get; } = name;

    /// <summary>Pulsed on every callback; share one between owners to wait on conditions spanning them.</summary>
    public Signal Changed { get; } = changed ?? new Signal();

    public ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>Set after construction: the consumer this owner stores offsets through.</summary>
    public PartitionedConsumer? Consumer { get; set; }

    /// <summary>Start offsets returned on assignment.</summary>
    public IReadOnlyDictionary<int, long>? StartOffsets { get; set; }

    /// <summary>Runs before a batch is recorded, e.g. to block (backpressure) or dead-letter.</summary>
    public Func<int, IReadOnlyList<ConsumedMessage>, Task>? BeforeRecord { get; set; }

    /// <summary>Decides after each handled message whether its offset is stored (default: every one).</summary>
    public Func<ConsumedMessage, bool> StoreAfter { get; set; } = _ => true;

    public int[] Owned
    {
        get
        {
            lock (_gate)
            {
                return [.. _owned.Order()];
            }
        }
    }

    public List<ConsumedMessage> Received
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    public int ReceivedCount
    {
        get
        {
            lock (_gate)
            {
                return _received.Count;
            }
        }
    }

    public Task<IReadOnlyDictionary<int, long>?> OnAssignedAsync(IReadOnlyList<int> partitions)
    {
        log?.Add(Name, "assigned", partitions);
        lock (_gate)
        {
            foreach (var p in partitions)
            {
                if (registry is not null && !registry.TryAdd(p, Name))
                {
                    Violations.Enqueue($"{Name} assigned partition {p} still owned by {registry[p]}");
                }

                _owned.Add(p);
            }
        }

        Changed.Pulse();
        return Task.FromResult(StartOffsets);
    }

    public Task OnRevokedAsync(IReadOnlyList<int> partitions) => Release(partitions, "revoked");

    public Task OnLostAsync(IReadOnlyList<int> partitions) => Release(partitions, "lost");

    public async Task OnMessagesAsync(int partition, IReadOnlyList<ConsumedMessage> batch)
    {
        if (BeforeRecord is not null)
        {
            await BeforeRecord(partition, batch);
        }

        lock (_gate)
        {
            if (!_owned.Contains(partition))
            {
                Violations.Enqueue($"{Name} got records of partition {partition} it does not own");
            }

            _received.AddRange(batch);
        }

        foreach (var message in batch)
        {
            if (StoreAfter(message) && Consumer?.StoreOffset(partition, message.NextOffset) == false)
            {
                Violations.Enqueue($"{Name} could not store offset {message.NextOffset} of partition {partition}");
            }
        }

        Changed.Pulse();
    }

    private Task Release(IReadOnlyList<int> partitions, string kind)
    {
        log?.Add(Name, kind, partitions);
        lock (_gate)
        {
            foreach (var p in partitions)
            {
                _owned.Remove(p);
                registry?.TryRemove(new KeyValuePair<int, string>(p, Name));
            }
        }

        Changed.Pulse();
        return Task.CompletedTask;
    }
}
