using System.Threading.Channels;
using CartRecovery.Bench.Infrastructure;
using CartRecovery.Bench.Support;
using CartRecovery.Gateway.Metrics;
using CartRecovery.Runtime;
using CartRecovery.Runtime.Configuration;
using CartRecovery.Runtime.Hosting;
using CartRecovery.Runtime.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartRecovery.Bench.Scenarios;

/// <summary>A trivial grain for the runtime benchmark: no state, no awaits.</summary>
public interface IBenchPingGrain
{
    Task<int> Ping(int x);
}

public sealed class BenchPingGrain : Grain, IBenchPingGrain
{
    public Task<int> Ping(int x) => Task.FromResult(x + 1);
}

/// <summary>
/// Actor runtime: request/response grain calls per second over 1 grain and over 10,000 grains, with
/// p50/p99 latency, against a raw System.Threading.Channels ping-pong measured in the same run at the
/// same concurrency (one server loop per key reading its own channel, each caller awaiting its reply
/// on its own channel; default channel options, so every hop goes through the thread pool).
/// Goal: at least 500,000 calls/s over 10,000 grains and at least 25% of the raw baseline.
/// Each contender runs alternately for several rounds; the medians are reported.
/// Options: --grains N (10000), --concurrency N (512), --rounds N (5), --seconds S (2).
/// </summary>
public sealed class RuntimeBench : IScenario
{
    public string Name => "runtime";

    public string Description => "grain calls/s over 1 and 10,000 grains vs a raw channel ping-pong";

    public async Task<BenchResult> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var grainCount = BenchOptions.Int(args, "--grains", 10_000);
        var concurrency = BenchOptions.Int(args, "--concurrency", 512);
        var rounds = BenchOptions.Int(args, "--rounds", 5);
        var duration = TimeSpan.FromSeconds(BenchOptions.Double(args, "--seconds", 2));

        var loadBefore = MachineLoad.Check(Name);
        using var db = new TempSqlite("cr-bench-runtime");
        var options = new RuntimeOptions { SiloId = "bench-runtime", Partitions = 64 };
        var runtime = new GrainRuntime(
            options,
            new SqliteGrainStorage(db.ConnectionString),
            [new GrainTypeDescriptor("bench-ping", typeof(IBenchPingGrain), typeof(BenchPingGrain))],
            RuntimeServiceCollectionExtensions.BuildStateJson([]),
            new ServiceCollection().BuildServiceProvider(),
            NullLogger<GrainRuntime>.Instance);
        await runtime.StartAsync(cancellationToken);
        try
        {
            BenchLog.Info($"runtime bench: {grainCount} grains, {concurrency} concurrent callers, {rounds} rounds x {duration.TotalSeconds:0.#} s, {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}");
            var keys = Enumerable.Range(0, grainCount).Select(i => "g" + i).ToArray();
            var many = keys.Select(k => runtime.GetGrain<IBenchPingGrain>(k)).ToArray();
            var one = runtime.GetGrain<IBenchPingGrain>("single");

            // Activate every grain once, then warm up each contender (JIT tiering, thread pool).
            await Parallel.ForEachAsync(many, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken }, async (g, _) => await g.Ping(0));
            await one.Ping(0);
            BenchLog.Info($"activated {runtime.ActivationCount} grains");

            await using var raw1 = new ChannelPingPong(1, concurrency);
            await using var rawMany = new ChannelPingPong(grainCount, concurrency);

            Func<int, long, ValueTask<int>> grainOne = (_, n) => new ValueTask<int>(one.Ping((int)n));
            Func<int, long, ValueTask<int>> grainMany = (id, n) => new ValueTask<int>(many[Target(id, n, concurrency, grainCount)].Ping((int)n));
            Func<int, long, ValueTask<int>> grainManyLookup = (id, n) =>
                new ValueTask<int>(runtime.GetGrain<IBenchPingGrain>(keys[Target(id, n, concurrency, grainCount)]).Ping((int)n));
            Func<int, long, ValueTask<int>> rawOne = raw1.Call;
            Func<int, long, ValueTask<int>> rawManyCall = rawMany.Call;

            var warm = TimeSpan.FromSeconds(1);
            foreach (var c in new[] { rawOne, grainOne, rawManyCall, grainMany, grainManyLookup })
            {
                await ClosedLoop.RunAsync(concurrency, warm, c);
            }

            var results = new Dictionary<string, List<ClosedLoop.Result>>();
            void Add(string name, ClosedLoop.Result r)
            {
                (results.TryGetValue(name, out var list) ? list : results[name] = new()).Add(r);
                BenchLog.Info($"  {name,-22} {r.Rate,12:N0} calls/s  p50 {r.P50,8:0.0} us  p99 {r.P99,9:0.0} us  ({r.CoresUsed:0.00} cores busy, {r.RatePerCore,10:N0} calls per CPU-second)");
            }

            for (var round = 1; round <= rounds; round++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                BenchLog.Info($"round {round}/{rounds}");
                Add("raw_1", await ClosedLoop.RunAsync(concurrency, duration, rawOne));
                Add("grain_1", await ClosedLoop.RunAsync(concurrency, duration, grainOne));
                Add("raw_many", await ClosedLoop.RunAsync(concurrency, duration, rawManyCall));
                Add("grain_many", await ClosedLoop.RunAsync(concurrency, duration, grainMany));
                if (round <= 3)
                {
                    Add("grain_many_getgrain", await ClosedLoop.RunAsync(concurrency, duration, grainManyLookup));
                }
            }

            // What production pays: the gateway's Prometheus listener enables the call histogram.
            using (new PrometheusMetrics("CartRecovery"))
            {
                await ClosedLoop.RunAsync(concurrency, warm, grainMany);
                for (var round = 1; round <= 3; round++)
                {
                    Add("grain_many_listener", await ClosedLoop.RunAsync(concurrency, duration, grainMany));
                }
            }

            var breakdown = await CallPathBreakdown.MeasureAsync(runtime, many[0], keys[0]);

            double Med(string name, Func<ClosedLoop.Result, double> pick) => LatencyLog.Median(results[name].Select(pick));
            var value = Med("grain_many", r => r.Rate);
            var baseline = Med("raw_many", r => r.Rate);
            var ratio = value / baseline;
            var met = value >= 500_000 && ratio >= 0.25;
            var perCore = Med("grain_many", r => r.RatePerCore);
            BenchLog.Info($"grain calls over {grainCount} grains: {value:N0}/s vs raw channels {baseline:N0}/s (ratio {ratio:0.00}); " +
                $"{perCore:N0} calls per CPU-second, i.e. {perCore * Environment.ProcessorCount:N0}/s with all {Environment.ProcessorCount} cores to itself; goal {(met ? "met" : "MISSED")}");
            return new BenchResult(Name, Math.Round(value), "calls/s", Math.Round(baseline), Math.Round(ratio, 3),
                ">= 500000 calls/s over 10k grains and >= 0.25 x raw channel ping-pong", met)
            {
                Details = new Dictionary<string, double>
                {
                    ["load_average_before"] = loadBefore,
                    ["grains"] = grainCount,
                    ["concurrency"] = concurrency,
                    ["calls_per_sec_10k_grains"] = Math.Round(value),
                    ["calls_per_cpu_second_10k_grains"] = Math.Round(perCore),
                    ["calls_per_sec_10k_grains_if_all_cores"] = Math.Round(perCore * Environment.ProcessorCount),
                    ["cores_busy_10k_grains"] = Math.Round(Med("grain_many", r => r.CoresUsed), 2),
                    ["raw_calls_per_cpu_second_10k_keys"] = Math.Round(Med("raw_many", r => r.RatePerCore)),
                    ["calls_per_sec_1_grain"] = Math.Round(Med("grain_1", r => r.Rate)),
                    ["raw_calls_per_sec_10k_keys"] = Math.Round(baseline),
                    ["raw_calls_per_sec_1_key"] = Math.Round(Med("raw_1", r => r.Rate)),
                    ["ratio_1"] = Math.Round(Med("grain_1", r => r.Rate) / Med("raw_1", r => r.Rate), 3),
                    ["p50_us_10k_grains"] = Math.Round(Med("grain_many", r => r.P50), 2),
                    ["p99_us_10k_grains"] = Math.Round(Med("grain_many", r => r.P99), 2),
                    ["p50_us_1_grain"] = Math.Round(Med("grain_1", r => r.P50), 2),
                    ["p99_us_1_grain"] = Math.Round(Med("grain_1", r => r.P99), 2),
                    ["raw_p50_us_10k_keys"] = Math.Round(Med("raw_many", r => r.P50), 2),
                    ["raw_p99_us_10k_keys"] = Math.Round(Med("raw_many", r => r.P99), 2),
                    ["raw_p50_us_1_key"] = Math.Round(Med("raw_1", r => r.P50), 2),
                    ["raw_p99_us_1_key"] = Math.Round(Med("raw_1", r => r.P99), 2),
                    ["calls_per_sec_10k_getgrain_each_call"] = Math.Round(Med("grain_many_getgrain", r => r.Rate)),
                    ["calls_per_sec_10k_with_metrics_listener"] = Math.Round(Med("grain_many_listener", r => r.Rate)),
                    ["p99_us_10k_with_metrics_listener"] = Math.Round(Med("grain_many_listener", r => r.P99), 2),
                }.Concat(breakdown).ToDictionary(),
            }.Finite();
        }
        finally
        {
            await runtime.DisposeAsync();
        }
    }

    /// <summary>Caller <paramref name="id"/> walks the keys with a stride of the caller count, so callers rarely meet on one key.</summary>
    private static int Target(int id, long n, int concurrency, int keys) => (int)((id + n * concurrency) % keys);

    /// <summary>The raw baseline: one server loop per key, each caller with its own reply channel.</summary>
    private sealed class ChannelPingPong : IAsyncDisposable
    {
        private readonly Channel<(int X, Channel<int> Reply)>[] _servers;
        private readonly Channel<int>[] _replies;
        private readonly Task[] _loops;
        private readonly int _concurrency;

        public ChannelPingPong(int keys, int concurrency)
        {
            _concurrency = concurrency;
            _servers = new Channel<(int, Channel<int>)>[keys];
            _loops = new Task[keys];
            for (var k = 0; k < keys; k++)
            {
                var inbox = _servers[k] = Channel.CreateUnbounded<(int, Channel<int>)>(new UnboundedChannelOptions { SingleReader = true });
                _loops[k] = Task.Run(async () =>
                {
                    var reader = inbox.Reader;
                    while (await reader.WaitToReadAsync())
                    {
                        while (reader.TryRead(out var request))
                        {
                            request.Item2.Writer.TryWrite(request.Item1 + 1);
                        }
                    }
                });
            }

            _replies = Enumerable.Range(0, concurrency)
                .Select(_ => Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true }))
                .ToArray();
        }

        public ValueTask<int> Call(int id, long n)
        {
            var reply = _replies[id];
            _servers[Target(id, n, _concurrency, _servers.Length)].Writer.TryWrite(((int)n, reply));
            return reply.Reader.ReadAsync();
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var s in _servers)
            {
                s.Writer.TryComplete();
            }

            await Task.WhenAll(_loops);
        }
    }
}
