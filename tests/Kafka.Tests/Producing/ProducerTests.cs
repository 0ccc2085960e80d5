using System.Text;
using CartRecovery.Kafka.Admin;
using CartRecovery.Kafka.Producing;
using CartRecovery.Kafka.Tests.Support;

namespace CartRecovery.Kafka.Tests.Producing;

public sealed class ProducerTests : IDisposable
{
    private readonly TestKafka _kafka = new(brokers: 3);

    [Fact]
    public async Task Batch_completes_only_when_every_record_sits_on_its_key_partition()
    {
        var options = _kafka.CreateTopics(partitions: 8);
        var partitioner = StableHash.Partitioner(8);
        var messages = Enumerable.Range(0, 3_000)
            .Select(i => ($"cart-{i % 97}", Encoding.UTF8.GetBytes($"event-{i}")))
            .ToList();
        using var producer = new KafkaEventProducer(options, partitioner);

        await producer.ProduceBatchAsync(messages);

        // No flush or wait in between: completion itself must mean the broker has them.
        var ends = KafkaTopics.GetEndOffsets(options, options.EventsTopic, TestKafka.Timeout);
        var expected = messages.GroupBy(m => partitioner(m.Item1)).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(Enumerable.Range(0, 8).ToDictionary(p => p, p => expected.GetValueOrDefault(p)), ends);
    }

    [Fact]
    public async Task Out_of_range_partition_rejects_the_whole_batch()
    {
        var options = _kafka.CreateTopics(partitions: 4);
        using var producer = new KafkaEventProducer(options, key => key == "bad" ? 4 : 0);

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => producer.ProduceBatchAsync([("good", [1]), ("bad", [2])]));

        Assert.Contains("Kafka:Partitions", error.Message, StringComparison.Ordinal);
        Assert.All(KafkaTopics.GetEndOffsets(options, options.EventsTopic, TestKafka.Timeout).Values, end => Assert.Equal(0, end));
    }

    [Fact]
    public async Task A_rejected_record_faults_the_batch_instead_of_completing_it()
    {
        // The topic really has 2 partitions while the configuration claims 4: records for partition 3 cannot be written.
        var options = _kafka.CreateTopics(partitions: 2);
        options.Partitions = 4;
        using var producer = new KafkaEventProducer(options, key => key == "lost" ? 3 : 0);

        var error = await Assert.ThrowsAsync<KafkaDeliveryException>(
            () => producer.ProduceBatchAsync([("kept", [1]), ("lost", [2]), ("kept", [3])]));

        Assert.Equal((1, 3), (error.Failed, error.Total));
        Assert.Equal("Local_UnknownPartition", error.ErrorCode);
    }

    public void Dispose() => _kafka.Dispose();
}
