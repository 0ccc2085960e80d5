using System.Threading.Channels;
using CartRecovery.Bench.Infrastructure;
using CartRecovery.Bench.Support;
using CartRecovery.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Bench.Scenarios;

/// <summary>A trivial grain for the runtime scenario: no state, no awaits.</summary>
public interface IBenchPingGrain : IGrainWithIntegerKey
{
    Task<int> Ping(int x);
}

public sealed class BenchPingGrain : Grain, IBenchPingGrain
{
    public Task<int> Ping(int x) => Task.FromResult(x + 1);
}

/// <summary>
/// Orleans grain calls per second over 10,000 grains and over one grain, with p50/p99, next to a
/// raw System.Threading.Channels ping-pong at the same concurrency (one server loop per key, each
/// caller awaiting its reply on its own channel), for the record: there is no threshold. The silo
/// runs in process (<c>UseLocalhostClustering</c>, no storage) and the callers use its co-hosted
/// client. Contenders alternate for several rounds; medians are reported. p50/p99 time sampled
/// calls from issue to completion; a caller's wait for a thread after its periodic yield (see
/// <see cref="ClosedLoop"/>) is not in them, so concurrency / rate is the mean cycle per caller.
/// Options: --grains N (10000), --concurrency N (512), --rounds N (5), --seconds S (2).
/// </summary>
public sealed class RuntimeBench : IScenario
{
    public string Name => "runtime";

    public string Description => "Orleans grain calls/s over 1 and 10,000 grains next to a raw channel ping-pong (for the record)";

    public async Task<BenchResult> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var grainCount = BenchOptions.Int(args, "--grains", 10_000);
        var concurrency = BenchOptions.Int(args, "--concurrency", 512);
        var rounds = BenchOptions.Int(args, "--rounds", 5);
        var duration = TimeSpan.FromSeconds(BenchOptions.Double(args, "--seconds", 2));
        var loadBefore = MachineLoad.Check(Name);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo => silo.UseLocalhostClustering(LocalPorts.Free(), LocalPorts.Free()));
        using var host = builder.Build();
        await host.StartAsync(cancellationToken);
        try
        {
            BenchLog.Info($"runtime: {grainCount} grains, {concurrency} callers, {rounds} rounds x {duration.TotalSeconds:0.#} s, {Environment.ProcessorCount} cores");
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var many = Enumerable.Range(0, grainCount).Select(i => grains.GetGrain<IBenchPingGrain>(i)).ToArray();
            var one = grains.GetGrain<IBenchPingGrain>(-1);
            await Parallel.ForEachAsync(many, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken }, async (g, _) => await g.Ping(0));
            await one.Ping(0);

            await using var raw1 = new ChannelPingPong(1, concurrency);
            await using var rawMany = new ChannelPingPong(grainCount, concurrency);
            var contenders = new (string Name, Func<int, long, ValueTask<int>> Call)[]
            {
                ("raw_1", raw1.Call),
                ("grain_1", (_, n) => new ValueTask<int>(one.Ping((int)n))),
                ("raw_many", rawMany.Call),
                ("grain_many", (id, n) => new ValueTask<int>(many[Target(id, n, concurrency, grainCount)].Ping((int)n))),
            };
            foreach (var (_, call) in contenders)
            {
                await ClosedLoop.RunAsync(concurrency, TimeSpan.FromSeconds(1), call);
            }

            var results = contenders.ToDictionary(c => c.Name, _ => new List<ClosedLoop.Result>());
            for (var round = 1; round <= rounds; round++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var (name, call) in contenders)
                {
                    var r = await ClosedLoop.RunAsync(concurrency, duration, call);
                    results[name].Add(r);
                    BenchLog.Info($"  round {round} {name,-10} {r.Rate,11:N0} calls/s  p50 {r.P50,8:0.0} us  p99 {r.P99,9:0.0} us  ({r.CoresUsed:0.00} cores busy)");
                }
            }

            double Med(string name, Func<ClosedLoop.Result, double> pick) => Stats.Median(results[name].Select(pick).ToArray());
            var value = Med("grain_many", r => r.Rate);
            var baseline = Med("raw_many", r => r.Rate);
            BenchLog.Info($"runtime: {value:N0} calls/s over {grainCount} grains, {Med("grain_1", r => r.Rate):N0}/s on one grain; raw channels {baseline:N0}/s and {Med("raw_1", r => r.Rate):N0}/s");
            var details = new Dictionary<string, double>
            {
                ["load_average_before"] = loadBefore,
                ["grains"] = grainCount,
                ["concurrency"] = concurrency,
                ["calls_per_sec_1_grain"] = Math.Round(Med("grain_1", r => r.Rate)),
                ["raw_calls_per_sec_1_key"] = Math.Round(Med("raw_1", r => r.Rate)),
                ["ratio_1"] = Math.Round(Med("grain_1", r => r.Rate) / Med("raw_1", r => r.Rate), 3),
                ["cores_busy_10k_grains"] = Math.Round(Med("grain_many", r => r.CoresUsed), 2),
            };
            foreach (var (name, key) in new[] { ("grain_many", "10k_grains"), ("grain_1", "1_grain"), ("raw_many", "raw_10k_keys"), ("raw_1", "raw_1_key") })
            {
                details[$"p50_us_{key}"] = Math.Round(Med(name, r => r.P50), 1);
                details[$"p99_us_{key}"] = Math.Round(Med(name, r => r.P99), 1);
            }

            return new BenchResult(Name, Math.Round(value), "calls/s (10,000 grains)", Math.Round(baseline), Math.Round(value / baseline, 3),
                "none: recorded for reference (Orleans calls over 10,000 grains and over one grain, next to raw channels)", value > 0)
            {
                BaselineName = "raw System.Threading.Channels ping-pong over 10,000 keys",
                Details = details,
            }.Finite();
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
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
