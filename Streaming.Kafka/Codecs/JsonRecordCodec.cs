using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Orleans.Runtime;

namespace CartRecovery.Streaming.Kafka.Codecs;

/// <summary>
/// One JSON document of <typeparamref name="T"/> per record value, the record key naming the stream. A record is poison
/// when its value is not such a document, when <c>validate</c> refuses it, or when the key it carries (<c>keyOf</c>)
/// differs from the record key (it would otherwise reach the wrong grain).
/// </summary>
public sealed class JsonRecordCodec<T>(JsonTypeInfo<T> typeInfo, Func<T, string?>? validate = null, Func<T, string?>? keyOf = null) : IKafkaRecordCodec
    where T : class
{
    private const int MaxEcho = 64;

    public KafkaDecodeResult Decode(KafkaRecord record, string key)
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(record.Value, typeInfo);
        }
        catch (JsonException e)
        {
            var at = e.Path is { Length: > 2 } path ? $" at {path.TrimStart('$', '.')}" : "";
            return KafkaDecodeResult.Poison($"not a valid {typeof(T).Name} JSON document{at}: {e.Message}");
        }

        if (value is null)
        {
            return KafkaDecodeResult.Poison($"empty value (JSON null), expected a {typeof(T).Name}");
        }

        try
        {
            if (validate?.Invoke(value) is { } error)
            {
                return KafkaDecodeResult.Poison("invalid: " + error);
            }

            if (keyOf is not null && keyOf(value) is var own && !string.Equals(own, key, StringComparison.Ordinal))
            {
                return KafkaDecodeResult.Poison($"record key '{Echo(key)}' differs from the event's own key '{Echo(own ?? "")}'");
            }
        }
        catch (Exception e)
        {
            return KafkaDecodeResult.Poison($"validation failed: {e.GetType().Name}: {e.Message}");
        }

        return KafkaDecodeResult.Of(value);
    }

    public IReadOnlyList<byte[]> Encode<TEvent>(StreamId streamId, IEnumerable<TEvent> events)
    {
        var key = streamId.GetKeyAsString();
        var values = new List<byte[]>();
        foreach (var e in events)
        {
            if (e is not T value)
            {
                throw new ArgumentException($"stream {streamId} carries {typeof(T).Name} records, not {e?.GetType().Name ?? "null"}", nameof(events));
            }

            if (keyOf is not null && !string.Equals(keyOf(value), key, StringComparison.Ordinal))
            {
                throw new ArgumentException($"an event for key '{keyOf(value)}' was sent to stream {streamId}", nameof(events));
            }

            values.Add(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));
        }

        return values;
    }

    private static string Echo(string s) => s.Length > MaxEcho ? s[..MaxEcho] + "…" : s;
}
