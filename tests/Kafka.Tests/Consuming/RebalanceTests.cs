using System.Collections.Concurrent;
using System.Text;
using CartRecovery.Kafka.Consuming;
using CartRecovery.Kafka.Producing;
using CartRecovery.Kafka.Tests.Support;

namespace CartRecovery.Kafka.Tests.Consuming;

public sealed class RebalanceTests : IDisposable
{
    private readonly TestKafka _kafka = new();

    [Fact]
    public async Task Two_members_split_partitions_and_the_survivor_takes_all_after_the_other_hands_over()
    {
        var options = _kafka.CreateTopics(partitions: 8);
        var log = new EventLog();
        var registry = new ConcurrentDictionary<int, string>();
        var changed = new Signal();
        var a = new RecordingOwner("A", log, registry, changed);
        var b = new RecordingOwner("B", log, registry, changed);
        await using var consumerA = new PartitionedConsumer(options, a);
        a.Consumer = consumerA;
        var consumerB = new PartitionedConsumer(options, b);
        b.Consumer = consumerB;
        using var producer = new KafkaEventProducer(options, StableHash.Partitioner(8));

        consumerA.Start();
        await changed.WaitUntilAsync(() => a.Owned.Length == 8, "A owning everything");

        consumerB.Start();
        await Task.WhenAll(
            changed.WaitUntilAsync(() => a.Owned.Length is > 0 and < 8, "A giving up some partitions"),
            changed.WaitUntilAsync(() => b.Owned.Length > 0, "B owning some partitions"));
        await changed.WaitUntilAsync(() => a.Owned.Length + b.Owned.Length == 8, "a complete split");
        Assert.Empty(a.Owned.Intersect(b.Owned));

        // While split, each member receives exactly the records of its own partitions.
        var first = Enumerable.Range(0, 400).Select(i => ($"k{i}", Encoding.UTF8.GetBytes($"first-{i}"))).ToList();
        await producer.ProduceBatchAsync(first);
        await changed.WaitUntilAsync(() => a.ReceivedCount + b.ReceivedCount >= 400, "records reaching both members");
        Assert.True(a.ReceivedCount > 0 && b.ReceivedCount > 0, $"A got {a.ReceivedCount}, B got {b.ReceivedCount}");
        Assert.All(a.Received, m => Assert.Contains(m.Partition, consumerA.AssignedPartitions));
        Assert.All(b.Received, m => Assert.Contains(m.Partition, consumerB.AssignedPartitions));

        var bPartitions = b.Owned;
        await consumerB.DisposeAsync();
        await changed.WaitUntilAsync(() => a.Owned.Length == 8, "A taking over B's partitions");

        var entries = log.Entries;
        var bReleased = entries.Last(e => e.Owner == "B" && e.Kind == "revoked");
        var aTookOver = entries.Where(e => e.Owner == "A" && e.Kind == "assigned" && e.Partitions.Intersect(bPartitions).Any()).Last();
        Assert.Equal(bPartitions, bReleased.Partitions);
        Assert.Subset(aTookOver.Partitions.ToHashSet(), bPartitions.ToHashSet());
        Assert.True(bReleased.Sequence < aTookOver.Sequence, string.Join(" | ", entries));
        Assert.DoesNotContain(entries, e => e.Kind == "lost");
        Assert.Empty(a.Violations.Concat(b.Violations));

        // Records B had handled were stored and committed before the hand-over, so A does not see them again.
        var second = Enumerable.Range(0, 100).Select(i => ($"k{i}", Encoding.UTF8.GetBytes($"second-{i}"))).ToList();
        await producer.ProduceBatchAsync(second);
        await changed.WaitUntilAsync(() => a.Received.Count(m => Encoding.UTF8.GetString(m.Value).StartsWith("second-", StringComparison.Ordinal)) == 100, "A getting the later records");
        var replayed = a.Received.Select(m => Encoding.UTF8.GetString(m.Value)).Intersect(b.Received.Select(m => Encoding.UTF8.GetString(m.Value)));
        Assert.Empty(replayed);
    }

    public void Dispose() => _kafka.Dispose();
}
