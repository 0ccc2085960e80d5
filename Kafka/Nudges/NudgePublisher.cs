using CartRecovery.Kafka.Configuration;
using CartRecovery.Kafka.Producing;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartRecovery.Kafka.Nudges;

/// <summary>
/// Broadcasts nudges to every gateway. Every gateway reads every partition, so the partition only matters for
/// ordering: records with the same key (e.g. a shopper) keep their order.
/// </summary>
public sealed class NudgePublisher : IDisposable
{
    private readonly AckingProducer _producer;

    public NudgePublisher(KafkaOptions options, ILogger<NudgePublisher>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _producer = new AckingProducer(options, "nudges", logger ?? (ILogger)NullLogger.Instance);
        Topic = options.NudgesTopic;
    }

    public string Topic { get; }

    /// <summary>Completes once the broker acknowledged the nudge.</summary>
    public Task PublishAsync(string key, byte[] payload, CancellationToken cancellationToken = default) =>
        PublishBatchAsync([(key, payload)], cancellationToken);

    public Task PublishBatchAsync(IReadOnlyList<(string Key, byte[] Value)> nudges, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nudges);
        var outgoing = new Outgoing[nudges.Count];
        for (var i = 0; i < outgoing.Length; i++)
        {
            var (key, value) = nudges[i];
            ArgumentNullException.ThrowIfNull(key);
            outgoing[i] = new Outgoing(new TopicPartition(Topic, Partition.Any), new Message<string?, byte[]> { Key = key, Value = value });
        }

        return _producer.SendAsync(outgoing, cancellationToken);
    }

    public void Dispose() => _producer.Dispose();
}
