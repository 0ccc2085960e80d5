using CartRecovery.Kafka.Configuration;
using CartRecovery.Kafka.Mock;

namespace CartRecovery.Kafka.Tests.Support;

/// <summary>A private mock cluster per test, with client timings tightened so rebalances take seconds, not tens.</summary>
public sealed class TestKafka : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private int _topics;

    public TestKafka(int brokers = 1) => Cluster = MockKafkaCluster.Start(brokers);

    public MockKafkaCluster Cluster { get; }

    public static KafkaOptions OptionsFor(string bootstrapServers, int partitions, string? eventsTopic = null) => new()
    {
        BootstrapServers = bootstrapServers,
        EventsTopic = eventsTopic ?? "cart-events",
        Partitions = partitions,
        // The mock waits session.timeout - 1 s for members to rejoin, so this bounds every rebalance at ~3 s.
        SessionTimeoutMs = 4_000,
        HeartbeatIntervalMs = 250,
        AutoCommitIntervalMs = 200,
        LingerMs = 1,
    };

    /// <summary>Creates the events, nudges and dead-letter topics under fresh names and returns options naming them.</summary>
    public KafkaOptions CreateTopics(int partitions, int nudgePartitions = 4)
    {
        var n = Interlocked.Increment(ref _topics);
        var options = OptionsFor(Cluster.BootstrapServers, partitions, $"events-{n}");
        options.NudgesTopic = $"nudges-{n}";
        options.DeadLetterTopic = $"dlq-{n}";
        options.ConsumerGroup = $"silos-{n}";
        Cluster.CreateTopic(options.EventsTopic, partitions);
        Cluster.CreateTopic(options.NudgesTopic, nudgePartitions);
        Cluster.CreateTopic(options.DeadLetterTopic, 2);
        return options;
    }

    public void Dispose() => Cluster.Dispose();
}
