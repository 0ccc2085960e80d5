using CartRecovery.TestSupport;
using System.Text;
using System.Text.Json;
using CartRecovery.Bench.Support;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Replay;

namespace CartRecovery.Bench.Kafka;

/// <summary>One record of cart-events as a store backend writes it: key = shopper id, value = one v1 event (JSON).</summary>
internal readonly record struct EventRecord(byte[] Key, byte[] Value);

/// <summary>
/// Kafka records of v1 events built from the real REES46 log, the same way <see cref="Rees46Batches"/> builds HTTP
/// bodies: chunks of <c>copiesPerChunk</c> copies under fresh ids, each chunk renamed again with its number (every
/// event, shopper and session unique over the run) and shifted in time so its last event is a minute old; time order.
/// </summary>
internal static class Rees46Records
{
    /// <param name="tag">Renames ids per chunk ("-" + tag + chunk): records built under another tag belong to other shoppers.</param>
    public static List<EventRecord> Build(int events, string tag = "k", int copiesPerChunk = 10)
    {
        var path = SharedData.Rees46;
        var records = new List<EventRecord>(events);
        for (var chunk = 0; records.Count < events; chunk++)
        {
            var log = StorefrontLog.Load(path, copiesPerChunk, seed: chunk + 1);
            var shift = DateTimeOffset.UtcNow.AddMinutes(-1) - log[^1].OccurredAt;
            var suffix = "-" + tag + chunk;
            foreach (var e in log)
            {
                if (records.Count >= events)
                {
                    break;
                }

                e.ShopperId += suffix;
                e.SessionId += suffix;
                e.OccurredAt += shift;
                records.Add(new EventRecord(Encoding.UTF8.GetBytes(e.ShopperId), JsonSerializer.SerializeToUtf8Bytes(e, GrainsJsonContext.Default.StorefrontEvent)));
            }
        }

        return records;
    }

    public static StorefrontEvent Decode(byte[] value) =>
        JsonSerializer.Deserialize(value, GrainsJsonContext.Default.StorefrontEvent) ?? throw new InvalidDataException("not an event");
}
