namespace CartRecovery.Kafka.Configuration;

/// <summary>Connection, topic and tuning settings shared by every Kafka client of a process (config section "Kafka").</summary>
public sealed class KafkaOptions
{
    public const string SectionName = "Kafka";

    /// <summary>Comma-separated host:port list.</summary>
    public string BootstrapServers { get; set; } = "";

    public string EventsTopic { get; set; } = "cart-events";

    public string NudgesTopic { get; set; } = "nudges";

    public string DeadLetterTopic { get; set; } = "cart-events-dlq";

    /// <summary>Consumer group the silos share for <see cref="EventsTopic"/>.</summary>
    public string ConsumerGroup { get; set; } = "silos";

    /// <summary>Partition count of <see cref="EventsTopic"/>; producer partition indexes must fall below it.</summary>
    public int Partitions { get; set; } = 64;

    /// <summary>Prefix of client.id, which shows up in broker logs and metrics.</summary>
    public string ClientId { get; set; } = "cartrecovery";

    /// <summary>How long a silo may go silent before the group reassigns its partitions.</summary>
    public int SessionTimeoutMs { get; set; } = 10_000;

    public int HeartbeatIntervalMs { get; set; } = 1_000;

    /// <summary>Upper bound on one revoke/assign callback (the owner's flush) before the member is evicted.</summary>
    public int MaxPollIntervalMs { get; set; } = 300_000;

    /// <summary>Interval at which offsets stored by partition owners are committed in the background.</summary>
    public int AutoCommitIntervalMs { get; set; } = 1_000;

    /// <summary>
    /// librdkafka partition.assignment.strategy. Eager strategies ("range", "roundrobin") revoke everything on
    /// each rebalance, which keeps ownership hand-over simple and is what the 2.0.2 mock handles reliably.
    /// </summary>
    public string AssignmentStrategy { get; set; } = "roundrobin";

    /// <summary>Producer batching delay: a few milliseconds buys much larger broker requests.</summary>
    public int LingerMs { get; set; } = 5;

    /// <summary>
    /// How long the broker may hold an empty fetch. librdkafka's 500 ms default makes every resume after backpressure
    /// wait that long; 100 ms costs a few idle requests per second.
    /// </summary>
    public int FetchWaitMaxMs { get; set; } = 100;

    /// <summary>Most messages handed to a partition owner in one call.</summary>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>Received-but-unhandled messages per partition before fetching for it is paused.</summary>
    public int MaxInFlightPerPartition { get; set; } = 5_000;

    /// <summary>Every problem with these settings, each naming its option; empty when valid.</summary>
    public IReadOnlyList<string> GetValidationErrors() => KafkaOptionsValidation.Check(this);

    /// <summary>Throws <see cref="ArgumentException"/> listing every invalid setting.</summary>
    public KafkaOptions Validate()
    {
        var errors = GetValidationErrors();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid Kafka configuration: " + string.Join("; ", errors));
        }

        return this;
    }

    public KafkaOptions Clone() => (KafkaOptions)MemberwiseClone();
}
