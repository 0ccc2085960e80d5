using CartRecovery.Kafka.Configuration;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartRecovery.Kafka.Producing;

/// <summary>
/// Writes cart events to the events topic. The partition of each record comes from the caller's partitioner (the
/// runtime's own stable key hash), not librdkafka's, so a key's events land on the partition whose owner hosts
/// that key's grain.
/// </summary>
public sealed class KafkaEventProducer : IDisposable
{
    private readonly AckingProducer _producer;
    private readonly Func<string, int> _partitioner;
    private readonly TopicPartition[] _targets;

    /// <param name="partitioner">Maps a key to a partition index in [0, <see cref="KafkaOptions.Partitions"/>).</param>
    /// <param name="topic">Defaults to <see cref="KafkaOptions.EventsTopic"/>.</param>
    public KafkaEventProducer(KafkaOptions options, Func<string, int> partitioner, ILogger<KafkaEventProducer>? logger = null, string? topic = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(partitioner);
        _producer = new AckingProducer(options, "events", logger ?? (ILogger)NullLogger.Instance);
        _partitioner = partitioner;
        Topic = topic ?? options.EventsTopic;
        _targets = [.. Enumerable.Range(0, options.Partitions).Select(p => new TopicPartition(Topic, p))];
    }

    public string Topic { get; }

    /// <summary>
    /// Completes once the broker has acknowledged every record (acks=all); faults with
    /// <see cref="KafkaDeliveryException"/> if any was rejected. Records of one key keep their list order.
    /// The partitioner runs for all keys before anything is sent, so a bad index sends nothing.
    /// </summary>
    public Task ProduceBatchAsync(IReadOnlyList<(string Key, byte[] Value)> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var records = new Outgoing[messages.Count];
        for (var i = 0; i < records.Length; i++)
        {
            var (key, value) = messages[i];
            ArgumentNullException.ThrowIfNull(key);
            var partition = _partitioner(key);
            if ((uint)partition >= (uint)_targets.Length)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(messages), partition, $"partitioner mapped key '{key}' outside 0..{_targets.Length - 1} (Kafka:Partitions)");
            }

            records[i] = new Outgoing(_targets[partition], new Message<string?, byte[]> { Key = key, Value = value });
        }

        return _producer.SendAsync(records, cancellationToken);
    }

    public Task ProduceAsync(string key, byte[] value, CancellationToken cancellationToken = default) =>
        ProduceBatchAsync([(key, value)], cancellationToken);

    /// <summary>Waits for every enqueued record; false if some were still unacknowledged at the timeout.</summary>
    public bool Flush(TimeSpan timeout) => _producer.Flush(timeout);

    public void Dispose() => _producer.Dispose();
}
