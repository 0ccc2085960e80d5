using CartRecovery.Streaming.Kafka.Providers;
using Orleans.Runtime;
using Orleans.Streams;

#pragma warning disable CS0618 // MoveNext: what the pulling agent's MoveNextWithResult calls

namespace CartRecovery.Streaming.Kafka.Tests.Providers;

// The partition cache the pulling agent reads from, driven the way the agent drives it: a read returns the next records
// of one stream only, records leave in arrival order once no cursor can still be delivering them, and a failed
// delivery leaves flagged.
public sealed class QueueCacheTests
{
    private const int Partition = 3;

    [Fact]
    public void ACursorReadsOnlyItsStreamInOrderAndWaitsForMore()
    {
        var cache = new KafkaQueueCache(cacheSize: 100, deliveryBatch: 1);
        cache.AddToCache(Records(("a", 0), ("b", 1), ("a", 2), ("c", 3), ("b", 4), ("a", 5)));

        using var a = cache.GetCacheCursor(Stream("a"), Token(0));
        Assert.Equal([[0L], [2L], [5L]], Drain(a));

        // At its end: the next records of the stream are found from the token the agent refreshes it with.
        cache.AddToCache(Records(("b", 6), ("a", 7)));
        a.Refresh(Token(7));
        Assert.Equal([[7L]], Drain(a));

        // A cursor asked for a token between two records of its stream starts at the later one.
        using var b = cache.GetCacheCursor(Stream("b"), Token(2));
        Assert.Equal([[4L], [6L]], Drain(b));
    }

    [Fact]
    public void AReadGroupsUpToTheDeliveryBatchOfItsStreamsRecords()
    {
        var cache = new KafkaQueueCache(cacheSize: 100, deliveryBatch: 2);
        cache.AddToCache(Records(("a", 0), ("b", 1), ("a", 2), ("a", 3), ("b", 4)));
        using var a = cache.GetCacheCursor(Stream("a"), Token(0));

        Assert.True(a.MoveNext());
        var group = a.GetCurrent(out _)!;
        Assert.Equal(Stream("a"), group.StreamId);
        Assert.Equal([0L, 2L], group.GetEvents<string>().Select(e => ((KafkaSequenceToken)e.Item2).Offset));
        Assert.Equal(2L, ((KafkaSequenceToken)group.SequenceToken).Offset);

        // A single record goes as it is.
        Assert.True(a.MoveNext());
        Assert.IsType<KafkaBatchContainer>(a.GetCurrent(out _));
        Assert.False(a.MoveNext());
    }

    [Fact]
    public void RecordsLeaveOnlyOnceNoCursorCanStillBeDeliveringThem()
    {
        // Buckets of one record (a tenth of the cache); a read returns up to 2 records of the stream.
        var cache = new KafkaQueueCache(cacheSize: 10, deliveryBatch: 2);
        cache.AddToCache(Records(("a", 0), ("a", 1), ("a", 2), ("b", 3)));
        using var pin = cache.GetCacheCursor(Stream("b"), Token(3));
        using var a = cache.GetCacheCursor(Stream("a"), Token(0));

        // Offsets 0 and 1 are read and being delivered: nothing may leave.
        Assert.True(a.MoveNext());
        Assert.False(cache.TryPurgeFromCache(out _));

        // The next read means they were delivered; offset 2 is now being delivered.
        Assert.True(a.MoveNext());
        Assert.True(cache.TryPurgeFromCache(out var purged));
        Assert.Equal([0L, 1L], purged.Select(Offset));

        // The read that finds the end releases the last records; offset 3 waits for the other stream's cursor.
        Assert.False(a.MoveNext());
        Assert.True(cache.TryPurgeFromCache(out purged));
        Assert.Equal([2L], purged.Select(Offset));
        pin.Dispose();
        Assert.True(cache.TryPurgeFromCache(out purged));
        Assert.Equal([3L], purged.Select(Offset));
        Assert.Equal(0, cache.Size);
    }

    [Fact]
    public void TheRecordsOfAFailedDeliveryLeaveFlaggedAndNoOthers()
    {
        var cache = new KafkaQueueCache(cacheSize: 10, deliveryBatch: 2);
        cache.AddToCache(Records(("a", 0), ("a", 1), ("a", 2)));
        using var a = cache.GetCacheCursor(Stream("a"), Token(0));

        Assert.True(a.MoveNext());
        Assert.True(a.MoveNext());
        a.RecordDeliveryFailure();
        Assert.False(a.MoveNext());

        Assert.True(cache.TryPurgeFromCache(out var purged));
        Assert.Equal([false, false, true], purged.Cast<KafkaBatchContainer>().Select(c => c.DeliveryFailed));
    }

    [Fact]
    public void AFullCacheReportsPressureAndATokenOlderThanItIsAMiss()
    {
        var cache = new KafkaQueueCache(cacheSize: 10, deliveryBatch: 1);
        Assert.Equal(1, cache.GetMaxAddCount());
        cache.AddToCache(Records(Enumerable.Range(5, 9).Select(i => ("s" + i, (long)i)).ToArray()));
        Assert.False(cache.IsUnderPressure());
        cache.AddToCache(Records(("s14", 14)));
        Assert.True(cache.IsUnderPressure());

        Assert.Throws<QueueCacheMissException>(() => cache.GetCacheCursor(Stream("s5"), Token(4)));

        // Nobody needs them: everything leaves and the pressure is gone.
        Assert.True(cache.TryPurgeFromCache(out var purged));
        Assert.Equal(10, purged.Count);
        Assert.False(cache.IsUnderPressure());
    }

    // The offsets of each read.
    private static List<long[]> Drain(IQueueCacheCursor cursor)
    {
        var reads = new List<long[]>();
        while (cursor.MoveNext())
        {
            reads.Add(cursor.GetCurrent(out _)!.GetEvents<string>().Select(e => ((KafkaSequenceToken)e.Item2).Offset).ToArray());
        }

        return reads;
    }

    private static long Offset(IBatchContainer container) => ((KafkaSequenceToken)container.SequenceToken).Offset;

    private static KafkaSequenceToken Token(long offset) => new(Partition, offset);

    private static StreamId Stream(string key) => StreamId.Create("cart-events", key);

    private static List<IBatchContainer> Records(params (string Key, long Offset)[] records) =>
        records.Select(r => (IBatchContainer)new KafkaBatchContainer(Stream(r.Key), Token(r.Offset), [r.Key])).ToList();
}
