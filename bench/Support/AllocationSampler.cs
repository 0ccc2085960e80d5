using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace CartRecovery.Bench.Support;

/// <summary>
/// Which types this process allocates most, from the runtime's own sampling: a GC AllocationTick
/// event names the type of the object that crossed each ~100 KB of allocation, so the bytes per
/// type name are a statistical allocation profile (no profiler attached).
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const int AllocationTickEventId = 10;
    private readonly ConcurrentDictionary<string, long> _bytes = new();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventId != AllocationTickEventId || e.PayloadNames is not { } names || e.Payload is not { } payload)
        {
            return;
        }

        var type = names.IndexOf("TypeName") is var t and >= 0 ? payload[t] as string : null;
        var amount = names.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(payload[a], System.Globalization.CultureInfo.InvariantCulture) : 0;
        _bytes.AddOrUpdate(type ?? "?", amount, (_, sum) => sum + amount);
    }

    public Dictionary<string, long> Snapshot() => new(_bytes);

    /// <summary>The types with the largest share of the bytes sampled between two snapshots.</summary>
    public static List<(string Type, double Share)> Top(Dictionary<string, long> a, Dictionary<string, long> b, int count)
    {
        var delta = b.Select(kv => (kv.Key, Bytes: kv.Value - a.GetValueOrDefault(kv.Key))).Where(x => x.Bytes > 0).ToList();
        var total = Math.Max(1, delta.Sum(x => x.Bytes));
        return delta.OrderByDescending(x => x.Bytes).Take(count).Select(x => (x.Key, x.Bytes / (double)total)).ToList();
    }
}
