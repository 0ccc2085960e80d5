using System.Text;
using CartRecovery.Streaming.Kafka.Native;
using CartRecovery.Streaming.Kafka.Providers;
using CartRecovery.Streaming.Kafka.Tests.Support;
using Confluent.Kafka;
using Orleans.Runtime;

namespace CartRecovery.Streaming.Kafka.Tests.Partitioning;

/// <summary>The queue mapper must put stream K exactly where a keyed produce of K lands.</summary>
public sealed class PartitionerTests
{
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Murmur2_matches_the_java_clients_reference_values(string key, int expected) =>
        Assert.Equal(expected, KafkaPartitioners.Murmur2(Encoding.UTF8.GetBytes(key)));

    [Theory]
    [InlineData(KafkaPartitioners.Murmur2Random, 7)]
    [InlineData(KafkaPartitioners.ConsistentRandom, 5)]
    public async Task Librdkafka_puts_every_key_where_the_queue_mapper_expects_its_stream(string partitioner, int partitions)
    {
        using var kafka = new TestKafka();
        kafka.Cluster.CreateTopic("keys", partitions);
        KafkaNative.EnsureLoaded();
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = kafka.Cluster.BootstrapServers,
            Partitioner = partitioner == KafkaPartitioners.Murmur2Random ? Partitioner.Murmur2Random : Partitioner.ConsistentRandom,
        }).Build();
        var mapper = new KafkaStreamQueueMapper("keys", partitions, partitioner);
        var keys = Enumerable.Range(0, 300).Select(i => i % 3 == 0 ? $"shopper-{i}" : $"ü-{i}-{Guid.NewGuid():N}").ToList();

        foreach (var key in keys)
        {
            var delivered = await producer.ProduceAsync("keys", new Message<string, string> { Key = key, Value = "v" });
            var queue = mapper.GetQueueForStream(StreamId.Create(TestEvents.Namespace, key));
            Assert.Equal(delivered.Partition.Value, KafkaStreamQueueMapper.PartitionOf(queue));
        }
    }

    [Fact]
    public void Queue_i_is_partition_i_and_the_queues_are_spread_over_the_ring()
    {
        var mapper = new KafkaStreamQueueMapper("cart-events", 16, KafkaPartitioners.Murmur2Random);
        var queues = mapper.GetAllQueues().ToList();

        Assert.Equal(Enumerable.Range(0, 16), queues.Select(KafkaStreamQueueMapper.PartitionOf));
        var hashes = queues.Select(q => (double)q.GetUniformHashCode()).ToList();
        var gaps = hashes.Zip(hashes.Skip(1), (a, b) => b - a).ToList();
        Assert.All(gaps, g => Assert.InRange(g, uint.MaxValue / 16.0 * 0.99, uint.MaxValue / 16.0 * 1.01));
    }
}
