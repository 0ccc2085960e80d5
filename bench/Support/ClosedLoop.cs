using System.Diagnostics;

namespace CartRecovery.Bench.Support;

/// <summary>
/// N concurrent request/response loops for a fixed time. Each loop awaits its call before the
/// next; every <c>sampleEvery</c>-th call is timed. Loops yield every <c>yieldEvery</c> calls so
/// that calls completing synchronously cannot starve the thread pool (the same for every
/// contender, so comparisons stay fair). The stop flag is set from a dedicated thread.
/// </summary>
internal static class ClosedLoop
{
    public sealed record Result(long Calls, double Seconds, double[] LatenciesUs, double CoresUsed)
    {
        public double Rate => Calls / Seconds;

        public double P50 => Percentile(50);

        public double P99 => Percentile(99);

        private double Percentile(double p)
        {
            var sorted = (double[])LatenciesUs.Clone();
            Array.Sort(sorted);
            return LatencyLog.Rank(sorted, p);
        }
    }

    private sealed class Flag
    {
        public volatile bool Stop;
    }

    public static async Task<Result> RunAsync(int concurrency, TimeSpan duration, Func<int, long, ValueTask<int>> call, int sampleEvery = 16, int yieldEvery = 64)
    {
        var flag = new Flag();
        var counts = new long[concurrency];
        var log = new LatencyLog();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = new Task[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            var id = i;
            var samples = log.NewList(4096);
            tasks[i] = Task.Run(async () =>
            {
                await gate.Task;
                long n = 0;
                var tick = Stopwatch.Frequency / 1_000_000.0;
                while (!flag.Stop)
                {
                    if (n % sampleEvery == 0)
                    {
                        var t0 = Stopwatch.GetTimestamp();
                        await call(id, n);
                        samples.Add((Stopwatch.GetTimestamp() - t0) / tick);
                    }
                    else
                    {
                        await call(id, n);
                    }

                    n++;
                    if (n % yieldEvery == 0)
                    {
                        await Task.Yield();
                    }
                }

                counts[id] = n;
            });
        }

        double seconds = 0;
        ProcessSample? cpuStart = null;
        var timer = new Thread(() =>
        {
            cpuStart = ProcessSample.Now();
            var started = Stopwatch.GetTimestamp();
            gate.SetResult();
            Thread.Sleep(duration);
            flag.Stop = true;
            seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        }) { IsBackground = true, Name = "closed-loop timer" };
        timer.Start();
        await Task.WhenAll(tasks);
        timer.Join();
        var cores = ProcessSample.Now().CoresSince(cpuStart!);
        return new Result(counts.Sum(), seconds, log.All(), cores);
    }
}
