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
    private long _high = -1;
    private long _firstFetched = -1;
    private long _start = -1;

    public int Partition { get; } = partition;

    /// <summary>The partition's high watermark as last learnt by the fetcher (-1: not yet known). Any thread.</summary>
    public long HighWatermark => Volatile.Read(ref _high);

    /// <summary>Offset of the first record fetched under this assignment (-1: none yet). Any thread.</summary>
    public long FirstFetched => Volatile.Read(ref _firstFetched);

    /// <summary>Where reading started when nothing was fetched yet: the group's committed offset, or the reset position (-1: not known). Any thread.</summary>
    public long StartOffset => Volatile.Read(ref _start);

    /// <summary>Poll thread: when the fetcher may next ask the broker for this partition's watermark.</summary>
    internal DateTime NextWatermarkQuery { get; set; }

    public int Count => Volatile.Read(ref _count);

    public bool IsPaused => Volatile.Read(ref _paused) != 0;

    /// <summary>Poll thread. True when the partition should be paused now.</summary>
    public bool Add(ConsumeResult<byte[]?, byte[]?> record)
    {
        if (_firstFetched < 0)
        {
            Volatile.Write(ref _firstFetched, record.Offset.Value);
        }

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

    /// <summary>Poll thread.</summary>
    public void SetHighWatermark(long offset) => Volatile.Write(ref _high, offset);

    /// <summary>Poll thread.</summary>
    public void SetStartOffset(long offset) => Volatile.Write(ref _start, offset);
}
