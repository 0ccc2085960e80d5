using System.Diagnostics;
using System.Text.Json;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Replay;
using CartRecovery.Kafka.Admin;
using CartRecovery.Kafka.Configuration;
using CartRecovery.Kafka.Producing;
using CartRecovery.Runtime;

namespace CartRecovery.Bench.Support;

/// <summary>
/// Pre-fills the events topic of a mock cluster with REES46 events (scaled copies under fresh ids),
/// timestamps shifted so the newest event is "now" (the topic holds a backlog of the last hours),
/// serialized exactly as the gateway's Kafka bus does, keyed by shopper and placed on the partition
/// the runtime's own hash picks.
/// </summary>
internal static class KafkaTopicFill
{
    public sealed record Filled(long Events, long Bytes, IReadOnlyDictionary<int, long> EndOffsets, double ProduceSeconds, int Shoppers);

    /// <summary>REES46 events, scaled, shifted so that the last one happened a second ago.</summary>
    public static List<StorefrontEvent> LoadShifted(int scale)
    {
        var events = StorefrontLog.Load(SharedData.Rees46(), scale);
        var shift = DateTimeOffset.UtcNow.AddSeconds(-1) - events.Max(e => e.OccurredAt);
        foreach (var e in events)
        {
            e.OccurredAt += shift;
        }

        return events;
    }

    public static async Task<Filled> FillAsync(string bootstrapServers, string topic, int partitions, IReadOnlyList<StorefrontEvent> events, CancellationToken cancellationToken)
    {
        var options = new KafkaOptions { BootstrapServers = bootstrapServers, Partitions = partitions, ClientId = "bench-fill" };
        var map = new PartitionMap(partitions);
        var messages = new (string Key, byte[] Value)[events.Count];
        long bytes = 0;
        for (var i = 0; i < events.Count; i++)
        {
            var value = JsonSerializer.SerializeToUtf8Bytes(events[i], GrainsJsonContext.Default.StorefrontEvent);
            messages[i] = (events[i].ShopperId, value);
            bytes += value.Length;
        }

        var started = Stopwatch.GetTimestamp();
        using (var producer = new KafkaEventProducer(options, map.OfKey, topic: topic))
        {
            const int chunk = 20_000;
            for (var i = 0; i < messages.Length; i += chunk)
            {
                var slice = new ArraySegment<(string, byte[])>(messages, i, Math.Min(chunk, messages.Length - i));
                await producer.ProduceBatchAsync(slice, cancellationToken);
            }
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var ends = KafkaTopics.GetEndOffsets(options, topic, TimeSpan.FromSeconds(10));
        var total = ends.Values.Sum();
        if (total != events.Count)
        {
            throw new InvalidOperationException($"topic {topic} holds {total} records after producing {events.Count}");
        }

        var low = KafkaPlainConsumer.LowWatermarks(bootstrapServers, topic, ends.Keys);
        if (low.Values.Any(o => o > 0))
        {
            throw new InvalidOperationException(
                $"the mock broker dropped the oldest records of {low.Count(kv => kv.Value > 0)} partitions (it keeps about 5 MB per partition; "
                + $"{bytes / (double)partitions / 1e6:0.0} MB were written per partition): use a smaller --scale or more --partitions");
        }

        return new Filled(total, bytes, ends, seconds, events.Select(e => e.ShopperId).Distinct().Count());
    }
}
