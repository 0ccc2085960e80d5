using CartRecovery.Kafka.Configuration;
using CartRecovery.Kafka.Native;
using Confluent.Kafka;

namespace CartRecovery.Kafka.Admin;

/// <summary>Read-only topic facts from the brokers, for readiness checks, lag reporting and tests.</summary>
public static class KafkaTopics
{
    /// <summary>
    /// The high watermark (offset of the next record to be written) of every partition of <paramref name="topic"/>;
    /// the sum is the number of records ever acknowledged on a topic that was never truncated.
    /// </summary>
    public static IReadOnlyDictionary<int, long> GetEndOffsets(KafkaOptions options, string topic, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        KafkaNative.EnsureLoaded();

        var config = new AdminClientConfig { BootstrapServers = options.BootstrapServers, ClientId = $"{options.ClientId}-admin" };
        using var admin = new AdminClientBuilder(config).Build();
        var metadata = admin.GetMetadata(topic, timeout).Topics.SingleOrDefault(t => t.Topic == topic);
        if (metadata is null || metadata.Error.IsError)
        {
            throw new KafkaException(metadata?.Error ?? new Error(ErrorCode.UnknownTopicOrPart, $"topic {topic} not found"));
        }

        // Watermark queries need a consumer handle; one without a group never touches group coordination.
        var consumerConfig = new ConsumerConfig
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = $"{options.ClientId}-admin",
            GroupId = $"{options.ClientId}-watermarks-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
        };
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(consumerConfig).Build();
        return metadata.Partitions.ToDictionary(
            p => p.PartitionId,
            p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p.PartitionId), timeout).High.Value);
    }
}
