using Confluent.Kafka;

namespace CartRecovery.Streaming.Kafka.Configuration;

/// <summary>Translates <see cref="KafkaStreamOptions"/> into librdkafka settings, one place per client role.</summary>
internal static class ClientConfigs
{
    public static ProducerConfig Producer(KafkaStreamOptions o, string role)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = o.BootstrapServers,
            ClientId = $"{o.ClientId}-{role}",
            // Idempotence gives per-partition ordering and no duplicates across internal retries.
            EnableIdempotence = o.EnableIdempotence,
            Acks = Acks.All,
            LingerMs = o.LingerMs,
            // Keyed records land where the provider's queue mapper expects them (KafkaPartitioners).
            Partitioner = o.Partitioner == KafkaPartitioners.ConsistentRandom ? Confluent.Kafka.Partitioner.ConsistentRandom : Confluent.Kafka.Partitioner.Murmur2Random,
            // Large queue so a whole ingest batch fits without bouncing off QueueFull.
            QueueBufferingMaxMessages = 1_000_000,
            EnableDeliveryReports = true,
            DeliveryReportFields = "status",
        };
        Secure(config, o);
        return config;
    }

    public static ConsumerConfig Consumer(KafkaStreamOptions o, string role)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = o.BootstrapServers,
            ClientId = $"{o.ClientId}-{role}",
            // The group only stores offsets: partitions are assigned by Orleans' queue balancer, never by the group.
            GroupId = o.ConsumerGroup,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = o.AutoOffsetReset == "latest" ? Confluent.Kafka.AutoOffsetReset.Latest : Confluent.Kafka.AutoOffsetReset.Earliest,
            FetchWaitMaxMs = o.FetchWaitMaxMs,
            // Pre-fetching stays small: the bound that matters is MaxBufferedPerPartition, above which we pause.
            QueuedMaxMessagesKbytes = 16 * 1024,
            EnablePartitionEof = false,
            AllowAutoCreateTopics = false,
            // Only committed records of transactional producers are delivered.
            IsolationLevel = IsolationLevel.ReadCommitted,
        };
        Secure(config, o);
        return config;
    }

    public static AdminClientConfig Admin(KafkaStreamOptions o)
    {
        var config = new AdminClientConfig { BootstrapServers = o.BootstrapServers, ClientId = $"{o.ClientId}-admin" };
        Secure(config, o);
        return config;
    }

    private static void Secure(ClientConfig config, KafkaStreamOptions o)
    {
        config.SecurityProtocol = o.SecurityProtocol switch
        {
            "ssl" => SecurityProtocol.Ssl,
            "sasl_plaintext" => SecurityProtocol.SaslPlaintext,
            "sasl_ssl" => SecurityProtocol.SaslSsl,
            _ => SecurityProtocol.Plaintext,
        };
        if (o.SaslMechanism is { Length: > 0 } mechanism)
        {
            config.SaslMechanism = mechanism switch
            {
                "SCRAM-SHA-256" => Confluent.Kafka.SaslMechanism.ScramSha256,
                "SCRAM-SHA-512" => Confluent.Kafka.SaslMechanism.ScramSha512,
                _ => Confluent.Kafka.SaslMechanism.Plain,
            };
            config.SaslUsername = o.SaslUsername;
            config.SaslPassword = o.SaslPassword;
        }
    }
}
