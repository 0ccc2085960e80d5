using System.Diagnostics;

namespace CartRecovery.Bench.Storage;

/// <summary>What one measured window of the closed loop did.</summary>
internal sealed record WriteWindow(long Writes, double Seconds, double P50Ms, double P99Ms)
{
    public double PerSecond => Writes / Seconds;
}

/// <summary>
/// A closed loop over N grains: one caller per grain, each calling <see cref="IBenchCartGrain.TouchAsync"/>
/// again as soon as the previous call returned (so N writes are always in flight). Counts the calls
/// that complete inside the measured window, whenever they started, so slow calls are not cut off
/// at the window's edges (which would favour the faster provider).
/// </summary>
internal static class WriteLoad
{
    public static async Task<WriteWindow> RunAsync(BenchSilo silo, int grains, long firstKey, TimeSpan warmup, TimeSpan measure, CancellationToken cancellationToken)
    {
        var refs = Enumerable.Range(0, grains).Select(i => silo.Grains.GetGrain<IBenchCartGrain>(firstKey + i)).ToArray();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long windowStart = long.MaxValue, windowEnd = long.MaxValue;
        var latencies = new List<double>[grains];
        var counts = new long[grains];

        async Task CallerAsync(int i)
        {
            latencies[i] = new List<double>(256);
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                await refs[i].TouchAsync();
                var done = Stopwatch.GetTimestamp();
                if (done >= Volatile.Read(ref windowStart) && done <= Volatile.Read(ref windowEnd))
                {
                    counts[i]++;
                    latencies[i].Add(Stopwatch.GetElapsedTime(started, done).TotalMilliseconds);
                }
            }
        }

        var callers = Enumerable.Range(0, grains).Select(i => Task.Run(() => CallerAsync(i))).ToArray();
        await Task.Delay(warmup, cancellationToken);
        var from = Stopwatch.GetTimestamp();
        Volatile.Write(ref windowStart, from);
        Volatile.Write(ref windowEnd, from + (long)(measure.TotalSeconds * Stopwatch.Frequency));
        await Task.Delay(measure, cancellationToken);
        await stop.CancelAsync();
        await Task.WhenAll(callers);

        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Percentile(double p) => all.Length == 0 ? double.NaN : all[Math.Clamp((int)Math.Ceiling(p * all.Length) - 1, 0, all.Length - 1)];
        return new WriteWindow(counts.Sum(), measure.TotalSeconds, Percentile(0.50), Percentile(0.99));
    }
}
