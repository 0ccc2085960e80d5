using System.Text;
using Confluent.Kafka;

namespace CartRecovery.Kafka.Consuming;

internal static class ConsumedMessages
{
    /// <summary>Copies a client result into our own type so callers never depend on Confluent.Kafka.</summary>
    public static ConsumedMessage From(ConsumeResult<byte[]?, byte[]?> result)
    {
        var message = result.Message;
        IReadOnlyList<KeyValuePair<string, byte[]>> headers = [];
        if (message.Headers is { Count: > 0 } raw)
        {
            var list = new KeyValuePair<string, byte[]>[raw.Count];
            for (var i = 0; i < list.Length; i++)
            {
                list[i] = new(raw[i].Key, raw[i].GetValueBytes() ?? []);
            }

            headers = list;
        }

        return new ConsumedMessage(
            result.Topic,
            result.Partition.Value,
            result.Offset.Value,
            message.Key is null ? null : Encoding.UTF8.GetString(message.Key),
            message.Value ?? [],
            headers,
            DateTimeOffset.FromUnixTimeMilliseconds(message.Timestamp.UnixTimestampMs));
    }
}
