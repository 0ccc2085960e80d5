using System.Text;

namespace CartRecovery.Streaming.Kafka.Codecs;

/// <summary>One record as fetched from the events topic (key and value as the producer wrote them).</summary>
public sealed record KafkaRecord(
    string Topic,
    int Partition,
    long Offset,
    byte[]? Key,
    byte[] Value,
    IReadOnlyList<KeyValuePair<string, byte[]>> Headers,
    DateTimeOffset Timestamp)
{
    /// <summary>Last value of a header decoded as UTF-8 (Kafka allows repeats; the last one wins).</summary>
    public string? Header(string name)
    {
        for (var i = Headers.Count - 1; i >= 0; i--)
        {
            if (Headers[i].Key == name)
            {
                return Encoding.UTF8.GetString(Headers[i].Value);
            }
        }

        return null;
    }
}
