using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Native;
using Confluent.Kafka;

namespace CartRecovery.Streaming.Kafka.Admin;

/// <summary>Read-only topic facts from the brokers, for start-up checks, lag reporting and tests.</summary>
public static class KafkaTopics
{
    /// <summary>Partition count of <paramref name="topic"/>; throws naming the key when the topic does not exist.</summary>
    public static int GetPartitionCount(KafkaStreamOptions options, string topic, TimeSpan timeout)
    {
        KafkaNative.EnsureLoaded();
        using var admin = new AdminClientBuilder(ClientConfigs.Admin(options)).Build();
        var metadata = admin.GetMetadata(topic, timeout).Topics.SingleOrDefault(t => t.Topic == topic);
        if (metadata is null || metadata.Error.IsError || metadata.Partitions.Count == 0)
        {
            throw new InvalidOperationException(
                $"{KafkaStreamOptions.SectionName}:{nameof(KafkaStreamOptions.EventsTopic)} '{topic}' is not a topic of {options.BootstrapServers}: {metadata?.Error.Reason ?? "no metadata"}");
        }

        return metadata.Partitions.Count;
    }

    /// <summary>The high watermark (offset of the next record to be written) of every partition.</summary>
    public static IReadOnlyDictionary<int, long> GetEndOffsets(KafkaStreamOptions options, string topic, TimeSpan timeout)
    {
        var count = GetPartitionCount(options, topic, timeout);
        using var consumer = WatermarkConsumer(options, $"{options.ClientId}-watermarks-{Guid.NewGuid():N}");
        return Enumerable.Range(0, count).ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), timeout).High.Value);
    }

    /// <summary>The offsets <see cref="KafkaStreamOptions.ConsumerGroup"/> has committed (partitions without one are absent).</summary>
    public static IReadOnlyDictionary<int, long> GetCommittedOffsets(KafkaStreamOptions options, string topic, TimeSpan timeout)
    {
        var count = GetPartitionCount(options, topic, timeout);
        using var consumer = WatermarkConsumer(options, options.ConsumerGroup);
        return consumer.Committed(Enumerable.Range(0, count).Select(p => new TopicPartition(topic, p)), timeout)
            .Where(o => !o.Offset.IsSpecial)
            .ToDictionary(o => o.Partition.Value, o => o.Offset.Value);
    }

    private static IConsumer<Ignore, Ignore> WatermarkConsumer(KafkaStreamOptions options, string group)
    {
        var config = ClientConfigs.Consumer(options, "admin");
        config.GroupId = group;
        return new ConsumerBuilder<Ignore, Ignore>(config).Build();
    }
}
