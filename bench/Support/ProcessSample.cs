using System.Diagnostics;

namespace CartRecovery.Bench.Support;

/// <summary>Process CPU time, GC pauses and collections at one moment; differences give per-phase figures.</summary>
internal sealed record ProcessSample(double CpuMs, double GcPauseMs, int Gen0, int Gen1, int Gen2, long Allocated, long WallTicks)
{
    public static ProcessSample Now()
    {
        using var p = Process.GetCurrentProcess();
        return new ProcessSample(p.TotalProcessorTime.TotalMilliseconds, GC.GetTotalPauseDuration().TotalMilliseconds,
            GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalAllocatedBytes(), Stopwatch.GetTimestamp());
    }

    public double WallMsSince(ProcessSample start) => (WallTicks - start.WallTicks) * 1000.0 / Stopwatch.Frequency;

    /// <summary>Cores busy on average (CPU time / wall time).</summary>
    public double CoresSince(ProcessSample start) => (CpuMs - start.CpuMs) / WallMsSince(start);

    public string Describe(ProcessSample start) =>
        $"CPU {CoresSince(start):0.00} cores, GC paused {(GcPauseMs - start.GcPauseMs) / WallMsSince(start) * 100:0.0}% of the time " +
        $"(gen0 {Gen0 - start.Gen0}, gen1 {Gen1 - start.Gen1}, gen2 {Gen2 - start.Gen2}), allocated {(Allocated - start.Allocated) / 1e6:N0} MB";
}
