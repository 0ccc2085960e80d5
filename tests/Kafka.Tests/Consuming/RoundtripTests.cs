using System.Text;
using CartRecovery.Kafka.Consuming;
using CartRecovery.Kafka.Producing;
using CartRecovery.Kafka.Tests.Support;

namespace CartRecovery.Kafka.Tests.Consuming;

public sealed class RoundtripTests : IDisposable
{
    private readonly TestKafka _kafka = new();

    [Fact]
    public async Task Every_record_arrives_once_on_its_key_partition_in_key_order()
    {
        var options = _kafka.CreateTopics(partitions: 6);
        var partitioner = StableHash.Partitioner(6);
        var owner = new RecordingOwner("silo");
        await using var consumer = new PartitionedConsumer(options, owner);
        owner.Consumer = consumer;
        consumer.Start();
        using var producer = new KafkaEventProducer(options, partitioner);

        var sent = Enumerable.Range(0, 1_000).Select(i => ($"cart-{i % 31}", Encoding.UTF8.GetBytes($"{i % 31}:{i}"))).ToList();
        foreach (var chunk in sent.Chunk(250))
        {
            await producer.ProduceBatchAsync(chunk);
        }

        await owner.Changed.WaitUntilAsync(() => owner.ReceivedCount >= sent.Count, "all records");

        var received = owner.Received;
        Assert.Equal(sent.Count, received.Count);
        Assert.Empty(owner.Violations);
        Assert.All(received, m => Assert.Equal(partitioner(m.Key!), m.Partition));
        foreach (var perKey in received.GroupBy(m => m.Key!))
        {
            var expected = sent.Where(s => s.Item1 == perKey.Key).Select(s => Encoding.UTF8.GetString(s.Item2));
            Assert.Equal(expected, perKey.Select(m => Encoding.UTF8.GetString(m.Value)));
        }

        foreach (var perPartition in received.GroupBy(m => m.Partition))
        {
            Assert.Equal(Enumerable.Range(0, perPartition.Count()).Select(i => (long)i), perPartition.Select(m => m.Offset));
        }

        Assert.Equal(Enumerable.Range(0, 6), consumer.AssignedPartitions);
    }

    public void Dispose() => _kafka.Dispose();
}
