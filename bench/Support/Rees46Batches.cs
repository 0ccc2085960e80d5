using CartRecovery.TestSupport;
using System.Text.Json;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Replay;

namespace CartRecovery.Bench.Support;

/// <summary>
/// HTTP bodies of v1 events built from the real REES46 log. The log is loaded in chunks of
/// <c>copiesPerChunk</c> copies (each copy under fresh ids); each chunk is renamed again with its
/// chunk number so every event, shopper and session is unique over the whole run, and shifted in
/// time so that its last event is a minute old. Bodies are JSON arrays of <c>batchSize</c> consecutive
/// events (time order), serialized ahead of time so the load loops spend nothing on JSON.
/// </summary>
internal static class Rees46Batches
{
    public static List<byte[]> Build(int events, int batchSize, int copiesPerChunk = 10)
    {
        var path = SharedData.Rees46;
        var bodies = new List<byte[]>(events / batchSize + 1);
        var produced = 0;
        for (var chunk = 0; produced < events; chunk++)
        {
            var log = StorefrontLog.Load(path, copiesPerChunk, seed: chunk + 1);
            var shift = DateTimeOffset.UtcNow.AddMinutes(-1) - log[^1].OccurredAt;
            var suffix = "-k" + chunk;
            var batch = new List<StorefrontEvent>(batchSize);
            foreach (var e in log)
            {
                if (produced >= events)
                {
                    break;
                }

                e.ShopperId += suffix;
                e.SessionId += suffix;
                e.OccurredAt += shift;
                batch.Add(e);
                produced++;
                if (batch.Count == batchSize)
                {
                    bodies.Add(JsonSerializer.SerializeToUtf8Bytes(batch, GrainsJsonContext.Default.ListStorefrontEvent));
                    batch.Clear();
                }
            }

            if (batch.Count > 0 && produced >= events)
            {
                bodies.Add(JsonSerializer.SerializeToUtf8Bytes(batch, GrainsJsonContext.Default.ListStorefrontEvent));
            }
        }

        return bodies;
    }
}
