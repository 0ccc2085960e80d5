using CartRecovery.Bench.Support;
using CartRecovery.Streaming.Kafka;
using CartRecovery.Streaming.Kafka.Admin;
using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Mock;
using CartRecovery.Streaming.Kafka.Native;
using CartRecovery.Streaming.Kafka.Producing;
using Confluent.Kafka;

namespace CartRecovery.Bench.Kafka;

/// <summary>
/// librdkafka's mock cluster in this process (one broker; it speaks the protocol, keeps records in memory, and has no
/// replication or disk), with cart-events and its dead-letter topic, and the product's producer to fill them.
/// </summary>
internal sealed class BenchKafka : IDisposable
{
    public const string Topic = "cart-events";
    public const string DeadLetterTopic = "cart-events-dlq";

    private BenchKafka(MockKafkaCluster cluster, int partitions)
    {
        Cluster = cluster;
        Partitions = partitions;
    }

    public MockKafkaCluster Cluster { get; }

    public string BootstrapServers => Cluster.BootstrapServers;

    public int Partitions { get; }

    public static BenchKafka Start(int partitions)
    {
        var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic(Topic, partitions);
        cluster.CreateTopic(DeadLetterTopic, 1);
        return new BenchKafka(cluster, partitions);
    }

    /// <summary>Settings of the product's producer and stream provider for <paramref name="topic"/>.</summary>
    public KafkaStreamOptions Options(string topic = Topic, string group = "silos") => new()
    {
        BootstrapServers = BootstrapServers,
        EventsTopic = topic,
        DeadLetterTopic = DeadLetterTopic,
        ConsumerGroup = group,
        Partitions = Partitions,
    };

    /// <summary>Writes the records with the product's producer (keyed, idempotent, acks=all); returns each partition's end offset.</summary>
    public async Task<IReadOnlyDictionary<int, long>> ProduceAsync(string topic, IReadOnlyList<EventRecord> records, CancellationToken cancellationToken)
    {
        var options = Options(topic);
        options.LingerMs = 20;
        using var producer = new KafkaEventProducer(options);
        foreach (var chunk in records.Chunk(20_000))
        {
            await producer.ProduceAsync([.. chunk.Select(r => (System.Text.Encoding.UTF8.GetString(r.Key), r.Value))], cancellationToken);
        }

        // The mock broker keeps only the last few megabytes of a partition and drops older records silently.
        var ends = KafkaTopics.GetEndOffsets(options, topic, TimeSpan.FromSeconds(30));
        KafkaNative.EnsureLoaded();
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = BootstrapServers, GroupId = "bench-watermarks" }).Build();
        foreach (var partition in ends.Keys)
        {
            var low = consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), TimeSpan.FromSeconds(10)).Low.Value;
            if (low > 0)
            {
                throw new InvalidOperationException(
                    $"the mock broker dropped the first {low:N0} records of {topic}[{partition}] (it keeps a few MB per partition): use more --partitions or fewer --events");
            }
        }

        return ends;
    }

    /// <summary>The partition a keyed record lands in (the producer's and the provider's murmur2).</summary>
    public int PartitionOf(string key) => KafkaPartitioners.Partition(KafkaPartitioners.Murmur2Random, System.Text.Encoding.UTF8.GetBytes(key), Partitions);

    public void Dispose() => Cluster.Dispose();
}
