using System.Text;

namespace CartRecovery.Kafka.Consuming;

/// <summary>One record as fetched from the broker; <see cref="NextOffset"/> is what an owner stores once it is checkpointed.</summary>
public sealed record ConsumedMessage(
    string Topic,
    int Partition,
    long Offset,
    string? Key,
    byte[] Value,
    IReadOnlyList<KeyValuePair<string, byte[]>> Headers,
    DateTimeOffset Timestamp)
{
    public long NextOffset => Offset + 1;

    /// <summary>Last value of a header decoded as UTF-8 (Kafka allows repeats; the last one wins, as in most clients).</summary>
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
