using System.Globalization;
using System.Text;
using CartRecovery.Streaming.Kafka.Codecs;
using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Producing;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Streaming.Kafka.DeadLetters;

/// <summary>
/// Parks records that cannot be delivered on the dead-letter topic with their original key, value and headers plus
/// where they came from and why, so their partition moves on; their offset counts as done only once the broker has
/// acknowledged the dead letter.
/// </summary>
internal sealed partial class DeadLetterPublisher(KafkaStreamOptions options, ILogger logger) : IDisposable
{
    private readonly Lazy<AckingProducer> _producer = new(() => new AckingProducer(options, "dead-letters", logger));

    public string Topic { get; } = options.DeadLetterTopic;

    public Task PublishAsync(IReadOnlyList<(KafkaRecord Source, string Reason)> records, CancellationToken cancellationToken = default)
    {
        var outgoing = new Message<byte[]?, byte[]>[records.Count];
        for (var i = 0; i < outgoing.Length; i++)
        {
            var (source, reason) = records[i];
            DeadLettering(logger, source.Topic, source.Partition, source.Offset, reason);
            outgoing[i] = ToRecord(source, reason);
        }

        return _producer.Value.SendAsync(Topic, outgoing, cancellationToken);
    }

    public void Dispose()
    {
        if (_producer.IsValueCreated)
        {
            _producer.Value.Dispose();
        }
    }

    private static Message<byte[]?, byte[]> ToRecord(KafkaRecord source, string reason)
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
        return new Message<byte[]?, byte[]>
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
