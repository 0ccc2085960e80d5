using System.Text;
using CartRecovery.Streaming.Kafka.Configuration;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartRecovery.Streaming.Kafka.Producing;

/// <summary>
/// Writes records to the events topic, keyed by stream key (the shopper), with an idempotent acks=all producer.
/// The configured partitioner puts key K on the partition the provider's queue mapper gives stream K, so a record
/// produced here is delivered to that stream's implicit subscriber. For producers outside Orleans; inside a silo or
/// an Orleans client, <c>IAsyncStream.OnNextBatchAsync</c> on the provider does the same.
/// </summary>
public sealed class KafkaEventProducer : IDisposable
{
    private readonly AckingProducer _producer;

    public KafkaEventProducer(KafkaStreamOptions options, ILogger<KafkaEventProducer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _producer = new AckingProducer(options, "events", logger ?? (ILogger)NullLogger.Instance);
        Topic = options.EventsTopic;
    }

    public string Topic { get; }

    /// <summary>
    /// Completes once the broker has acknowledged every record (acks=all); faults with
    /// <see cref="KafkaDeliveryException"/> if any was rejected, in which case sending the batch again is safe for
    /// consumers that drop repeated event ids. Records of one key keep their list order.
    /// </summary>
    public Task ProduceAsync(IReadOnlyList<(string Key, byte[] Value)> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var messages = new Message<byte[]?, byte[]>[records.Count];
        for (var i = 0; i < messages.Length; i++)
        {
            var (key, value) = records[i];
            ArgumentException.ThrowIfNullOrEmpty(key);
            ArgumentNullException.ThrowIfNull(value);
            messages[i] = new Message<byte[]?, byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = value };
        }

        return _producer.SendAsync(Topic, messages, cancellationToken);
    }

    public Task ProduceAsync(string key, byte[] value, CancellationToken cancellationToken = default) =>
        ProduceAsync([(key, value)], cancellationToken);

    /// <summary>Waits for every enqueued record; false if some were still unacknowledged at the timeout.</summary>
    public bool Flush(TimeSpan timeout) => _producer.Flush(timeout);

    public void Dispose() => _producer.Dispose();
}
