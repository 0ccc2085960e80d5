using System.Text;
using CartRecovery.Kafka.Consuming;
using CartRecovery.Kafka.DeadLetters;
using CartRecovery.Kafka.Producing;
using CartRecovery.Kafka.Tests.Support;

namespace CartRecovery.Kafka.Tests.DeadLetters;

public sealed class DeadLetterTests : IDisposable
{
    private readonly TestKafka _kafka = new();

    [Fact]
    public async Task An_unparseable_record_is_parked_with_its_origin_and_reason()
    {
        var options = _kafka.CreateTopics(partitions: 4);
        using var producer = new KafkaEventProducer(options, _ => 3);
        using var deadLetters = new DeadLetterPublisher(options);
        await producer.ProduceBatchAsync([("cart-1", Encoding.UTF8.GetBytes("{\"ok\":1}")), ("cart-1", [0xff, 0x00, 0x13])]);

        // The silo's handler: dead-letter what does not parse, and only then store its offset.
        var silo = new RecordingOwner("silo")
        {
            BeforeRecord = async (_, batch) =>
            {
                foreach (var m in batch.Where(m => m.Value[0] != (byte)'{'))
                {
                    await deadLetters.PublishAsync(m, "not JSON: unexpected byte 0xFF");
                }
            },
        };
        var reader = new RecordingOwner("dlq-reader");
        await using var dlq = new PartitionedConsumer(options, reader, topic: options.DeadLetterTopic, groupId: "dlq-reader");
        reader.Consumer = dlq;
        await using var consumer = new PartitionedConsumer(options, silo);
        silo.Consumer = consumer;
        consumer.Start();
        dlq.Start();
        await silo.Changed.WaitUntilAsync(() => silo.ReceivedCount == 2, "both records");
        await reader.Changed.WaitUntilAsync(() => reader.ReceivedCount == 1, "the dead letter");

        var parked = Assert.Single(reader.Received);
        Assert.Equal("cart-1", parked.Key);
        Assert.Equal(new byte[] { 0xff, 0x00, 0x13 }, parked.Value);
        Assert.Equal("not JSON: unexpected byte 0xFF", parked.Header(DeadLetterHeaders.Reason));
        Assert.Equal("3", parked.Header(DeadLetterHeaders.SourcePartition));
        Assert.Equal("1", parked.Header(DeadLetterHeaders.SourceOffset));
        Assert.Equal(options.EventsTopic, parked.Header(DeadLetterHeaders.SourceTopic));
        Assert.Equal(silo.Received[1].Timestamp, parked.Timestamp);
    }

    public void Dispose() => _kafka.Dispose();
}
