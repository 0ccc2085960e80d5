using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Mock;

namespace CartRecovery.Streaming.Kafka.Tests.Support;

/// <summary>A private librdkafka mock cluster per test, with topics under fresh names.</summary>
public sealed class TestKafka : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static int _topics;

    public TestKafka(int brokers = 1) => Cluster = MockKafkaCluster.Start(brokers);

    public MockKafkaCluster Cluster { get; }

    public static KafkaStreamOptions OptionsFor(string bootstrapServers, int partitions, string eventsTopic = "cart-events") => new()
    {
        BootstrapServers = bootstrapServers,
        EventsTopic = eventsTopic,
        Partitions = partitions,
        StreamNamespace = TestEvents.Namespace,
        LingerMs = 1,
        CommitIntervalMs = 100,
        HandoverTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>Creates the events and dead-letter topics and returns options naming them and a fresh group.</summary>
    public KafkaStreamOptions CreateTopics(int partitions)
    {
        var n = Interlocked.Increment(ref _topics);
        var options = OptionsFor(Cluster.BootstrapServers, partitions, $"events-{n}");
        options.DeadLetterTopic = $"dlq-{n}";
        options.ConsumerGroup = $"silos-{n}";
        Cluster.CreateTopic(options.EventsTopic, partitions);
        Cluster.CreateTopic(options.DeadLetterTopic, 1);
        return options;
    }

    public void Dispose() => Cluster.Dispose();
}
