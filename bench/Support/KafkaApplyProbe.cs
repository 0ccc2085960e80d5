using System.Diagnostics;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Runtime;

namespace CartRecovery.Bench.Support;

/// <summary>
/// Where the silo's time goes, measured inside the silo after a round (its grains still active,
/// its partitions still owned, the consumer idle): the product's EventPipeline applied directly,
/// without Kafka, in loops that mimic the partition lanes (each loop one partition's events in
/// order). Offsets are -1 so the grains' replay guards do not skip the events, and event ids are
/// fresh so deduplication does not either.
/// <list type="bullet">
/// <item>warm: events of shoppers whose grains are active (what a steady stream mostly is);</item>
/// <item>cold/16: every event from a new shopper (shopper + session activation, each one
/// PostgreSQL read), one loop per partition as the silo does;</item>
/// <item>cold/64: the same with four loops per partition (distinct shoppers of a partition applied
/// concurrently), to show whether the sequential lane or the work itself is the limit;</item>
/// <item>checkpoint: flushing everything the probes dirtied (states per second).</item>
/// </list>
/// </summary>
internal static class KafkaApplyProbe
{
    public sealed record Result(
        double WarmRate, double WarmCpuUs,
        double Cold16Rate, double Cold16CpuUs,
        double Cold64Rate, double Cold64CpuUs,
        double CheckpointStates, double CheckpointStatesPerSec, double CheckpointCpuUsPerState);

    public static async Task<Result> RunAsync(GrainRuntime runtime, EventPipeline pipeline, IReadOnlyList<StorefrontEvent> sample, int warmCount, int coldCount,
        KafkaMeterTap tap, CancellationToken cancellationToken)
    {
        var partitions = runtime.Map.Count;
        var warm = sample.Take(warmCount).Select((e, i) => Copy(e, e.ShopperId, e.EventId + "~warm")).ToList();
        var (warmRate, warmCpu) = await ApplyAsync(runtime, pipeline, warm, partitions, 1, cancellationToken);
        var cold16 = sample.Take(coldCount).Select((e, i) => Copy(e, $"probe16-{i}", e.EventId + "~c16")).ToList();
        var (c16Rate, c16Cpu) = await ApplyAsync(runtime, pipeline, cold16, partitions, 1, cancellationToken);
        var cold64 = sample.Take(coldCount).Select((e, i) => Copy(e, $"probe64-{i}", e.EventId + "~c64")).ToList();
        var (c64Rate, c64Cpu) = await ApplyAsync(runtime, pipeline, cold64, partitions, 4, cancellationToken);

        tap.Reset();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var t0 = Stopwatch.GetTimestamp();
        await runtime.CheckpointAllAsync(cancellationToken);
        var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var (_, states) = tap.Read("checkpoint_states");
        return new Result(warmRate, warmCpu, c16Rate, c16Cpu, c64Rate, c64Cpu, states, states / seconds, states > 0 ? cpu / states * 1e6 : double.NaN);
    }

    /// <summary>Applies the events in <c>partitions x lanesPerPartition</c> concurrent loops; returns events/s and process CPU us per event.</summary>
    private static async Task<(double Rate, double CpuUs)> ApplyAsync(GrainRuntime runtime, EventPipeline pipeline, List<StorefrontEvent> events, int partitions,
        int lanesPerPartition, CancellationToken cancellationToken)
    {
        var lanes = events
            .GroupBy(e => runtime.PartitionOf(e.ShopperId) * lanesPerPartition + (int)(StableHash.Fnv1a(e.ShopperId) % (uint)lanesPerPartition))
            .Select(g => g.ToList())
            .ToList();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var t0 = Stopwatch.GetTimestamp();
        await Task.WhenAll(lanes.Select(lane => Task.Run(async () =>
        {
            foreach (var e in lane)
            {
                await pipeline.ApplyAsync(e, -1);
            }
        }, cancellationToken)));
        var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        return (events.Count / seconds, cpu / events.Count * 1e6);
    }

    private static StorefrontEvent Copy(StorefrontEvent e, string shopperId, string eventId) => new()
    {
        EventId = eventId,
        Type = e.Type,
        ShopperId = shopperId,
        SessionId = e.SessionId,
        CartId = e.CartId,
        OccurredAt = e.OccurredAt,
        Item = e.Item,
        Order = e.Order,
        Page = e.Page,
        Consent = e.Consent,
        Customer = e.Customer,
        Nudge = e.Nudge,
        Device = e.Device,
    };
}
