using System.Text;
using CartRecovery.Kafka.Consuming;
using CartRecovery.Kafka.Producing;
using CartRecovery.Kafka.Tests.Support;

namespace CartRecovery.Kafka.Tests.Consuming;

public sealed class OffsetTests : IDisposable
{
    private readonly TestKafka _kafka = new();

    [Fact]
    public async Task A_restarted_member_resumes_right_after_the_last_stored_offset()
    {
        var options = _kafka.CreateTopics(partitions: 2);
        using var producer = new KafkaEventProducer(options, key => int.Parse(key[1..], System.Globalization.CultureInfo.InvariantCulture) % 2);
        await producer.ProduceBatchAsync(Enumerable.Range(0, 100).Select(i => ($"k{i}", Encoding.UTF8.GetBytes($"v{i}"))).ToList());

        // Partition 0: the owner checkpoints up to offset 30 only. Partition 1: it never checkpoints.
        var first = new RecordingOwner("first") { StoreAfter = m => m.Partition == 0 && m.Offset <= 30 };
        var consumer = new PartitionedConsumer(options, first);
        first.Consumer = consumer;
        consumer.Start();
        await first.Changed.WaitUntilAsync(() => first.ReceivedCount == 100, "the first member handling everything");
        await consumer.StopAsync();
        Assert.True(consumer.Completion.IsCompletedSuccessfully);
        Assert.False(consumer.StoreOffset(0, 90), "a stopped member must not store offsets");

        var second = new RecordingOwner("second");
        await using var restarted = new PartitionedConsumer(options, second);
        second.Consumer = restarted;
        restarted.Start();
        await second.Changed.WaitUntilAsync(() => second.ReceivedCount == 19 + 50, "the restarted member catching up");

        var byPartition = second.Received.GroupBy(m => m.Partition).ToDictionary(g => g.Key, g => g.Select(m => m.Offset).ToList());
        Assert.Equal(Enumerable.Range(31, 19).Select(i => (long)i), byPartition[0]);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), byPartition[1]);
        Assert.Empty(first.Violations.Concat(second.Violations));
    }

    [Fact]
    public async Task Start_offsets_returned_on_assignment_override_the_committed_position()
    {
        var options = _kafka.CreateTopics(partitions: 2);
        using var producer = new KafkaEventProducer(options, key => key == "a" ? 0 : 1);
        await producer.ProduceBatchAsync([.. Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? "a" : "b", new[] { (byte)i }))]);

        var owner = new RecordingOwner("silo") { StartOffsets = new Dictionary<int, long> { [0] = 7 } };
        await using var consumer = new PartitionedConsumer(options, owner);
        owner.Consumer = consumer;
        consumer.Start();
        await owner.Changed.WaitUntilAsync(() => owner.ReceivedCount == 3 + 10, "records from the requested positions");

        Assert.Equal([7L, 8, 9], owner.Received.Where(m => m.Partition == 0).Select(m => m.Offset));
        Assert.False(consumer.StoreOffset(5, 1), "partition 5 is not assigned (the topic has two)");
        Assert.Equal(10, owner.Received.Count(m => m.Partition == 1));
    }

    public void Dispose() => _kafka.Dispose();
}
