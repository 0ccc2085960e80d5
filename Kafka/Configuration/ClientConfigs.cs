using Confluent.Kafka;

namespace CartRecovery.Kafka.Configuration;

/// <summary>Translates <see cref="KafkaOptions"/> into librdkafka settings, one place per client role.</summary>
internal static class ClientConfigs
{
    public static ProducerConfig Producer(KafkaOptions o, string role) => new()
    {
        BootstrapServers = o.BootstrapServers,
        ClientId = $"{o.ClientId}-{role}",
        // Idempotence gives per-partition ordering and no duplicates across internal retries; it implies acks=all.
        EnableIdempotence = true,
        Acks = Acks.All,
        LingerMs = o.LingerMs,
        // Large queue so a whole ingest batch fits without bouncing off QueueFull.
        QueueBufferingMaxMessages = 1_000_000,
        EnableDeliveryReports = true,
        // Only the fields our delivery handlers read are materialised per report.
        DeliveryReportFields = "status",
    };

    public static ConsumerConfig Consumer(KafkaOptions o, string groupId, string role) => new()
    {
        BootstrapServers = o.BootstrapServers,
        ClientId = $"{o.ClientId}-{role}",
        GroupId = groupId,
        // Owners decide what is done: only offsets they store get committed, the background commit just ships them.
        EnableAutoOffsetStore = false,
        EnableAutoCommit = true,
        AutoCommitIntervalMs = o.AutoCommitIntervalMs,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        SessionTimeoutMs = o.SessionTimeoutMs,
        HeartbeatIntervalMs = o.HeartbeatIntervalMs,
        MaxPollIntervalMs = o.MaxPollIntervalMs,
        PartitionAssignmentStrategy = ParseStrategy(o.AssignmentStrategy),
        // A resumed partition is fetched only when the broker answers the fetch in flight, so this long-poll bound
        // is also the latency of recovering from backpressure.
        FetchWaitMaxMs = o.FetchWaitMaxMs,
        EnablePartitionEof = false,
        AllowAutoCreateTopics = false,
    };

    private static PartitionAssignmentStrategy ParseStrategy(string value) =>
        value.Trim() switch
        {
            "range" => PartitionAssignmentStrategy.Range,
            "roundrobin" => PartitionAssignmentStrategy.RoundRobin,
            "cooperative-sticky" => PartitionAssignmentStrategy.CooperativeSticky,
            _ => throw new ArgumentException($"{KafkaOptions.SectionName}:{nameof(KafkaOptions.AssignmentStrategy)} '{value}' is not one strategy"),
        };
}
