using System.Globalization;
using System.Text;
using CartRecovery.Kafka.Configuration;
using CartRecovery.Kafka.Consuming;
using CartRecovery.Kafka.Producing;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartRecovery.Kafka.DeadLetters;

/// <summary>
/// Parks records that cannot be processed (unparseable, invalid) on the dead-letter topic with the original key,
/// value and headers plus where they came from and why, so the partition can move on and the offset can be stored.
/// </summary>
public sealed partial class DeadLetterPublisher : IDisposable
{
    private readonly AckingProducer _producer;
    private readonly ILogger _logger;

    public DeadLetterPublisher(KafkaOptions options, ILogger<DeadLetterPublisher>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _producer = new AckingProducer(options, "dead-letters", _logger);
        Topic = options.DeadLetterTopic;
    }

    public string Topic { get; }

    /// <summary>Completes once the dead-letter record is acknowledged; only then may the source offset be stored.</summary>
    public Task PublishAsync(ConsumedMessage source, string reason, CancellationToken cancellationToken = default) =>
        PublishBatchAsync([(source, reason)], cancellationToken);

    public Task PublishBatchAsync(IReadOnlyList<(ConsumedMessage Source, string Reason)> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var outgoing = new Outgoing[records.Count];
        for (var i = 0; i < outgoing.Length; i++)
        {
            var (source, reason) = records[i];
            ArgumentNullException.ThrowIfNull(source);
            ArgumentException.ThrowIfNullOrWhiteSpace(reason);
            DeadLettering(_logger, source.Topic, source.Partition, source.Offset, reason);
            outgoing[i] = new Outgoing(new TopicPartition(Topic, Partition.Any), ToRecord(source, reason));
        }

        return _producer.SendAsync(outgoing, cancellationToken);
    }

    public void Dispose() => _producer.Dispose();

    private static Message<string?, byte[]> ToRecord(ConsumedMessage source, string reason)
    {
        var headers = new Headers();
        foreach (var (name, value) in source.Headers)
        {
            headers.Add(name, value);
        }

        headers.Add(DeadLetterHeaders.Reason, Encoding.UTF8.GetBytes(reason));
        headers.Add(DeadLetterHeaders.SourceTopic, Encoding.UTF8.GetBytes(source.Topic));
        headers.Add(DeadLetterHeaders.SourcePartition, Encoding.UTF8.GetBytes(source.Partition.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.SourceOffset, Encoding.UTF8.GetBytes(source.Offset.ToString(CultureInfo.InvariantCulture)));
        return new Message<string?, byte[]>
        {
            Key = source.Key,
            Value = source.Value,
            Headers = headers,
            // Keeping the original timestamp lets a replay tool restore event time.
            Timestamp = new Timestamp(source.Timestamp),
        };
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "Dead-lettering {Topic}[{Partition}]@{Offset}: {Reason}")]
    private static partial void DeadLettering(ILogger logger, string topic, int partition, long offset, string reason);
}
