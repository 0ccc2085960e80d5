using CartRecovery.Kafka.Consuming;
using CartRecovery.Kafka.Producing;
using CartRecovery.Kafka.Tests.Support;

namespace CartRecovery.Kafka.Tests.Consuming;

public sealed class OwnerFailureTests : IDisposable
{
    private readonly TestKafka _kafka = new();

    [Fact]
    public async Task A_throwing_handler_stops_the_member_and_its_partitions_are_handed_back()
    {
        var options = _kafka.CreateTopics(partitions: 2);
        var log = new EventLog();
        var owner = new RecordingOwner("silo", log)
        {
            BeforeRecord = (_, batch) => batch.Any(m => m.Value[0] == 0xEE) ? throw new InvalidDataException("poison") : Task.CompletedTask,
        };
        await using var consumer = new PartitionedConsumer(options, owner);
        owner.Consumer = consumer;
        using var producer = new KafkaEventProducer(options, _ => 1);
        await producer.ProduceBatchAsync([("a", [1]), ("a", [0xEE]), ("a", [2])]);

        consumer.Start();
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => consumer.Completion.WaitAsync(TestKafka.Timeout));

        Assert.Equal("poison", error.Message);
        Assert.Equal(["assigned", "revoked"], log.Entries.Select(e => e.Kind));
        Assert.Empty(consumer.AssignedPartitions);
        Assert.DoesNotContain(owner.Received, m => m.Value[0] == 0xEE);
    }

    public void Dispose() => _kafka.Dispose();
}
