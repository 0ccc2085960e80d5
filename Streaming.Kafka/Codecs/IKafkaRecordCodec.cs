using Orleans.Runtime;

namespace CartRecovery.Streaming.Kafka.Codecs;

/// <summary>
/// The payload format of a topic: how a record becomes the events of its stream, and how events sent to a stream
/// through Orleans become records. Registered per provider name (see <c>AddKafkaStreams</c>).
/// </summary>
public interface IKafkaRecordCodec
{
    /// <summary>
    /// The events of one record (for the stream its key names), or the reason it cannot be delivered: such a record
    /// goes to the dead-letter topic with the reason and the partition moves on. Must not throw.
    /// </summary>
    KafkaDecodeResult Decode(KafkaRecord record, string key);

    /// <summary>One record value per event, for events written to <paramref name="streamId"/> through Orleans.</summary>
    IReadOnlyList<byte[]> Encode<T>(StreamId streamId, IEnumerable<T> events);
}

/// <summary>Either the events of a record or why it is poison.</summary>
public readonly record struct KafkaDecodeResult(IReadOnlyList<object>? Events, string? Error)
{
    public bool IsPoison => Error is not null;

    public static KafkaDecodeResult Of(object evt) => new([evt], null);

    public static KafkaDecodeResult Poison(string reason) => new(null, reason);
}
