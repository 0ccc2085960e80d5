namespace CartRecovery.Streaming.Kafka.Configuration;

/// <summary>
/// Settings of the Kafka stream provider and of the producers that feed it (configuration section <c>Kafka</c>).
/// Every default is the one documented here; <see cref="KafkaStreamOptionsValidator"/> names the key of any bad value.
/// </summary>
public sealed class KafkaStreamOptions
{
    public const string SectionName = "Kafka";

    /// <summary>Comma-separated host:port list. Required.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>The topic whose partitions are the provider's queues (partition i = queue i).</summary>
    public string EventsTopic { get; set; } = "cart-events";

    /// <summary>Where records that cannot be delivered go, with the reason in the <c>x-error-reason</c> header.</summary>
    public string DeadLetterTopic { get; set; } = "cart-events-dlq";

    /// <summary>The group whose committed offsets are the provider's checkpoints (the group never joins or rebalances).</summary>
    public string ConsumerGroup { get; set; } = "silos";

    /// <summary>Partition count of <see cref="EventsTopic"/>; checked against the broker's metadata when the provider starts.</summary>
    public int Partitions { get; set; } = 64;

    /// <summary>Orleans stream namespace of the records: a record keyed K is an event of stream (namespace, K).</summary>
    public string StreamNamespace { get; set; } = "cart-events";

    /// <summary>
    /// How a key picks its partition, as librdkafka names it: <c>murmur2_random</c> (the Java client's default, also
    /// ours) or <c>consistent_random</c> (CRC32, librdkafka's own default). It must be what every producer of the topic
    /// uses, because the provider maps stream K to the partition this function gives K.
    /// </summary>
    public string Partitioner { get; set; } = KafkaPartitioners.Murmur2Random;

    /// <summary>Prefix of client.id, which shows up in broker logs and metrics.</summary>
    public string ClientId { get; set; } = "cartrecovery";

    /// <summary>librdkafka security.protocol: plaintext, ssl, sasl_plaintext or sasl_ssl (Event Hubs: sasl_ssl).</summary>
    public string SecurityProtocol { get; set; } = "plaintext";

    /// <summary>librdkafka sasl.mechanism when SASL is used: PLAIN (Event Hubs), SCRAM-SHA-256 or SCRAM-SHA-512.</summary>
    public string? SaslMechanism { get; set; }

    /// <summary>SASL user; for Event Hubs the literal <c>$ConnectionString</c>.</summary>
    public string? SaslUsername { get; set; }

    /// <summary>SASL password; for Event Hubs the namespace connection string.</summary>
    public string? SaslPassword { get; set; }

    /// <summary>Idempotent producers (no duplicates or reordering from internal retries); acks=all either way.</summary>
    public bool EnableIdempotence { get; set; } = true;

    /// <summary>Producer batching delay: a few milliseconds buys much larger broker requests.</summary>
    public int LingerMs { get; set; } = 5;

    /// <summary>How often each silo commits the offsets below which everything was delivered (and at every hand-over).</summary>
    public int CommitIntervalMs { get; set; } = 1_000;

    /// <summary>How long the broker may hold an empty fetch; also the latency of a resumed partition.</summary>
    public int FetchWaitMaxMs { get; set; } = 100;

    /// <summary>Records fetched for a partition but not yet taken by its pulling agent; fetching pauses above this.</summary>
    public int MaxBufferedPerPartition { get; set; } = 2_000;

    /// <summary>
    /// Records the Orleans cache of one partition holds before the pulling agent stops reading (backpressure).
    /// Also bounds what a hand-over or a crash can replay.
    /// </summary>
    public int CacheSize { get; set; } = 4_096;

    /// <summary>Most records of one stream handed to its consumer in one call (one <c>IAsyncBatchObserver.OnNextAsync</c>).</summary>
    public int MaxDeliveryBatch { get; set; } = 100;

    /// <summary>
    /// How long delivery of a batch to its consumer is retried before its records go to <see cref="DeadLetterTopic"/>
    /// (reason "delivery failed") and the stream moves on. Orleans' default is one minute.
    /// </summary>
    public TimeSpan MaxDeliveryTime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a silo that was given a partition waits for the previous owner to commit and let go before it takes the
    /// partition anyway (a hung owner; a dead one is noticed through membership at once).
    /// </summary>
    public TimeSpan HandoverTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where a partition starts when the group has no committed offset: <c>earliest</c> (nothing lost) or <c>latest</c>.</summary>
    public string AutoOffsetReset { get; set; } = "earliest";

    public KafkaStreamOptions Clone() => (KafkaStreamOptions)MemberwiseClone();
}
