using System.Collections.Concurrent;
using Confluent.Kafka;

namespace CartRecovery.Streaming.Kafka.Consuming;

/// <summary>
/// Records fetched for one assigned partition and not yet taken by its receiver. The fetcher's poll thread adds, the
/// receiver takes; above the limit the fetcher pauses the partition, and the receiver asks for a resume once it has
/// taken the buffer down to half.
/// </summary>
internal sealed class PartitionBuffer(int partition, int limit)
{
    private readonly ConcurrentQueue<ConsumeResult<byte[]?, byte[]?>> _records = new();
    private int _count;
    private int _paused;

    public int Partition { get; } = partition;

    public int Count => Volatile.Read(ref _count);

    public bool IsPaused => Volatile.Read(ref _paused) != 0;

    /// <summary>Poll thread. True when the partition should be paused now.</summary>
    public bool Add(ConsumeResult<byte[]?, byte[]?> record)
    {
        _records.Enqueue(record);
        return Interlocked.Increment(ref _count) >= limit && Interlocked.Exchange(ref _paused, 1) == 0;
    }

    /// <summary>Receiver. Takes up to <paramref name="max"/> records in offset order.</summary>
    public List<ConsumeResult<byte[]?, byte[]?>> Take(int max)
    {
        var taken = new List<ConsumeResult<byte[]?, byte[]?>>(Math.Min(max, Count));
        while (taken.Count < max && _records.TryDequeue(out var record))
        {
            taken.Add(record);
        }

        Interlocked.Add(ref _count, -taken.Count);
        return taken;
    }

    /// <summary>Receiver. True (once) when a paused partition has drained enough to fetch again.</summary>
    public bool ShouldResume() => Count <= limit / 2 && Interlocked.CompareExchange(ref _paused, 2, 1) == 1;

    /// <summary>Poll thread, after resuming.</summary>
    public void Resumed() => Interlocked.Exchange(ref _paused, 0);
}
