using System.Text;
using CartRecovery.Streaming.Kafka.Admin;
using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Native;
using Confluent.Kafka;

namespace CartRecovery.Streaming.Kafka.Tests.Support;

/// <summary>Reads what the brokers hold: committed offsets, end offsets, dead letters.</summary>
public static class Topics
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static IReadOnlyDictionary<int, long> Committed(KafkaStreamOptions o) => KafkaTopics.GetCommittedOffsets(o, o.EventsTopic, Timeout);

    public static IReadOnlyDictionary<int, long> Ends(KafkaStreamOptions o) => KafkaTopics.GetEndOffsets(o, o.EventsTopic, Timeout);

    /// <summary>True once the group's committed offset of every partition is its end (everything done).</summary>
    public static bool AllCommitted(KafkaStreamOptions o)
    {
        var committed = Committed(o);
        return Ends(o).All(e => e.Value == 0 || (committed.TryGetValue(e.Key, out var c) && c == e.Value));
    }

    public static Task WaitAllCommittedAsync(KafkaStreamOptions o) => Poll.UntilAsync(() => AllCommitted(o), "every offset committed", TimeSpan.FromMilliseconds(200));

    /// <summary>Every record of the dead-letter topic, read from its start until <paramref name="count"/> arrived.</summary>
    public static List<ConsumeResult<byte[]?, byte[]?>> DeadLetters(KafkaStreamOptions o, int count)
    {
        KafkaNative.EnsureLoaded();
        var config = new ConsumerConfig
        {
            BootstrapServers = o.BootstrapServers,
            GroupId = "dlq-reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).Build();
        consumer.Assign(new TopicPartitionOffset(o.DeadLetterTopic, 0, Offset.Beginning));
        var records = new List<ConsumeResult<byte[]?, byte[]?>>();
        var deadline = DateTime.UtcNow + TestKafka.Timeout;
        while (records.Count < count && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } r)
            {
                records.Add(r);
            }
        }

        consumer.Close();
        return records;
    }

    public static string? Header(ConsumeResult<byte[]?, byte[]?> record, string name) =>
        record.Message.Headers?.TryGetLastBytes(name, out var value) == true ? Encoding.UTF8.GetString(value) : null;

    /// <summary>Produces records as they are (any key, any bytes) to the events topic, as a foreign producer would.</summary>
    public static async Task ProduceRawAsync(KafkaStreamOptions options, params (byte[]? Key, byte[] Value)[] records)
    {
        KafkaNative.EnsureLoaded();
        using var producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig
        {
            BootstrapServers = options.BootstrapServers,
            Partitioner = Partitioner.Murmur2Random,
            EnableIdempotence = true,
        }).Build();
        foreach (var (key, value) in records)
        {
            await producer.ProduceAsync(options.EventsTopic, new Message<byte[]?, byte[]> { Key = key, Value = value });
        }
    }
}
