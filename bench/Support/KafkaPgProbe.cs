using System.Diagnostics;
using CartRecovery.Runtime.Storage.Postgres;

namespace CartRecovery.Bench.Support;

/// <summary>
/// The cost of what every grain activation does first: one state read through the product's
/// PostgresGrainStorage (a point SELECT by primary key, here of a key that does not exist, as for
/// a shopper seen for the first time). Measured one at a time (latency) and from 16 concurrent
/// loops (the silo applies 16 partitions in parallel, each one event at a time).
/// </summary>
internal static class KafkaPgProbe
{
    public sealed record Result(double SequentialP50Us, double SequentialP99Us, double ConcurrentReadsPerSec, double ConcurrentCpuUsPerRead);

    public static async Task<Result> RunAsync(string connectionString, CancellationToken cancellationToken)
    {
        var storage = new PostgresGrainStorage(connectionString);
        for (var i = 0; i < 200; i++)
        {
            await storage.ReadAsync("shopper", "warm" + i, "shopper", cancellationToken);
        }

        var samples = new double[2000];
        for (var i = 0; i < samples.Length; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await storage.ReadAsync("shopper", "probe" + i, "shopper", cancellationToken);
            samples[i] = Stopwatch.GetElapsedTime(t).TotalMicroseconds;
        }

        Array.Sort(samples);
        const int loops = 16;
        const int perLoop = 500;
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, loops).Select(l => Task.Run(async () =>
        {
            for (var i = 0; i < perLoop; i++)
            {
                await storage.ReadAsync("session", $"probe{l}/{i}", "session", cancellationToken);
            }
        }, cancellationToken)));
        var rate = loops * perLoop / Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds / (loops * perLoop);
        return new Result(LatencyLog.Rank(samples, 50), LatencyLog.Rank(samples, 99), rate, cpuUs);
    }
}
