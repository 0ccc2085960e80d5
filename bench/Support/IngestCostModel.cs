using System.Diagnostics;
using CartRecovery.Grains.Hosting;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Runtime;
using CartRecovery.Runtime.Hosting;
using CartRecovery.Runtime.Storage;
using CartRecovery.Runtime.Storage.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Bench.Support;

/// <summary>
/// The server-side cost of ingestion per event, measured on one thread as this thread's CPU time, so
/// it holds however busy the machine is: the product's grains (AddCartRecoveryGrains, SQLite) on their
/// own runtime with the background loops held off (flush interval 1 h, reminder polling off), driven
/// in order through parse + validate, the apply path (EventPipeline) and a checkpoint of every
/// partition after each <c>flushEvery</c> events (what one flush interval holds at the target rate).
/// Everything completes synchronously on the calling thread (SQLite's async calls are synchronous).
/// </summary>
internal static class IngestCostModel
{
    public static async Task<Dictionary<string, double>> MeasureAsync(IReadOnlyList<byte[]> bodies, int flushEvery, CancellationToken ct)
    {
        // A first pass on other events gets the code past the JIT's first tiers; only the second counts.
        var warm = Math.Min(100, bodies.Count / 4);
        await MeasureOnceAsync(bodies.Take(warm).ToList(), flushEvery, quiet: true, ct);
        return await MeasureOnceAsync(bodies.Skip(warm).ToList(), flushEvery, quiet: false, ct);
    }

    private static async Task<Dictionary<string, double>> MeasureOnceAsync(IReadOnlyList<byte[]> bodies, int flushEvery, bool quiet, CancellationToken ct)
    {
        using var db = new TempSqlite("cr-bench-costmodel");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = db.ConnectionString,
            ["Runtime:FlushInterval"] = "01:00:00",
            ["Runtime:ReminderPollInterval"] = "00:00:00",
            ["Runtime:FlushMaxDirty"] = "1000000",
        }).Build();
        var services = new ServiceCollection().AddLogging(b => b.SetMinimumLevel(LogLevel.Warning)).AddSingleton(TimeProvider.System);
        TimedStorage? storage = null;
        services.AddCartRecoveryGrains(configuration);
        services.AddGrain<CartRecovery.Bench.Scenarios.IBenchPingGrain, CartRecovery.Bench.Scenarios.BenchPingGrain>("bench-ping");
        services.AddSingleton<IGrainStorage>(_ => storage = new TimedStorage(new SqliteGrainStorage(db.ConnectionString)));
        await using var provider = services.BuildServiceProvider();
        var runtime = provider.GetRequiredService<GrainRuntime>();
        await runtime.StartAsync(ct);
        var validator = provider.GetRequiredService<EventValidator>();
        var pipeline = provider.GetRequiredService<EventPipeline>();
        try
        {
            double parseUs = 0, applyUs = 0, checkpointUs = 0, wallUs = 0;
            long events = 0, sinceFlush = 0;
            var hopped = false;
            var activationsBefore = runtime.ActivationCount;
            var s0 = storage!.Take();
            var gc0 = GC.GetTotalAllocatedBytes(true);
            var thread = Environment.CurrentManagedThreadId;
            var wall = Stopwatch.GetTimestamp();
            foreach (var body in bodies)
            {
                var t = ThreadCpu.Microseconds();
                var (valid, _) = validator.ParseBatch(body);
                var t1 = ThreadCpu.Microseconds();
                parseUs += t1 - t;
                foreach (var e in valid)
                {
                    await pipeline.ApplyAsync(e, -1);
                }

                var t2 = ThreadCpu.Microseconds();
                applyUs += t2 - t1;
                events += valid.Count;
                sinceFlush += valid.Count;
                if (sinceFlush >= flushEvery)
                {
                    await runtime.CheckpointAllAsync(ct);
                    checkpointUs += ThreadCpu.Microseconds() - t2;
                    sinceFlush = 0;
                }

                hopped |= Environment.CurrentManagedThreadId != thread;
            }

            var t3 = ThreadCpu.Microseconds();
            await runtime.CheckpointAllAsync(ct);
            checkpointUs += ThreadCpu.Microseconds() - t3;
            wallUs = Stopwatch.GetElapsedTime(wall).TotalMicroseconds;
            var s = storage.Take().Minus(s0);
            var allocated = GC.GetTotalAllocatedBytes(true) - gc0;
            var activations = runtime.ActivationCount - activationsBefore;

            // The same events again under new ids: grains are active now, so this is grain code alone
            // (plus GetGrain and the runtime's turn), with no activation.
            var again = bodies.SelectMany(b => validator.ParseBatch(b).Valid).ToList();
            foreach (var e in again)
            {
                e.EventId += "-again";
            }

            var w0 = ThreadCpu.Microseconds();
            foreach (var e in again)
            {
                await pipeline.ApplyAsync(e, -1);
            }

            var warmApplyUs = (ThreadCpu.Microseconds() - w0) / again.Count;
            var activationUs = (applyUs / events - warmApplyUs) / Math.Max(1e-9, (double)activations / events);

            // GetGrain alone (a DispatchProxy per call; the pipeline makes 2-3 per event).
            var key = again[0].ShopperId;
            var g0 = ThreadCpu.Microseconds();
            for (var i = 0; i < 100_000; i++)
            {
                runtime.GetGrain<CartRecovery.Grains.Abstractions.IShopperGrain>(key);
            }

            var getGrainUs = (ThreadCpu.Microseconds() - g0) / 100_000;

            // Activation alone: a stateless grain (runtime overhead only) and a shopper grain (its state read
            // from storage, constructor services, OnActivateAsync), each with one trivial call.
            var p0 = ThreadCpu.Microseconds();
            for (var i = 0; i < 5000; i++)
            {
                await runtime.GetGrain<CartRecovery.Bench.Scenarios.IBenchPingGrain>("act-" + i).Ping(i);
            }

            var statelessActivationUs = (ThreadCpu.Microseconds() - p0) / 5000;
            var a0 = ThreadCpu.Microseconds();
            for (var i = 0; i < 5000; i++)
            {
                await runtime.GetGrain<CartRecovery.Grains.Abstractions.IShopperGrain>("act-" + i).Disconnect();
            }

            var shopperActivationUs = (ThreadCpu.Microseconds() - a0) / 5000;

            // A storage read that finds nothing (what a new grain's activation does), alone.
            var r0 = ThreadCpu.Microseconds();
            for (var i = 0; i < 2000; i++)
            {
                await storage.ReadAsync("shopper", "no-such-shopper-" + i, "shopper", ct);
            }

            var readMissUs = (ThreadCpu.Microseconds() - r0) / 2000;
            var total = parseUs + applyUs + checkpointUs;
            var result = new Dictionary<string, double>
            {
                ["model_events"] = events,
                ["model_flush_every_events"] = flushEvery,
                ["model_cpu_us_parse_validate"] = Math.Round(parseUs / events, 2),
                ["model_cpu_us_apply"] = Math.Round(applyUs / events, 2),
                ["model_cpu_us_checkpoint"] = Math.Round(checkpointUs / events, 2),
                ["model_cpu_us_total"] = Math.Round(total / events, 2),
                ["model_cpu_us_checkpoint_per_state"] = Math.Round(checkpointUs / Math.Max(1, s.States), 2),
                ["model_cpu_us_storage_read_miss"] = Math.Round(readMissUs, 2),
                ["model_cpu_us_apply_warm_grains"] = Math.Round(warmApplyUs, 2),
                ["model_cpu_us_per_activation"] = Math.Round(activationUs, 1),
                ["model_cpu_us_per_activation_excluding_read"] = Math.Round(activationUs - readMissUs, 1),
                ["model_cpu_us_getgrain"] = Math.Round(getGrainUs, 3),
                ["model_cpu_us_activate_stateless_grain"] = Math.Round(statelessActivationUs, 1),
                ["model_cpu_us_activate_shopper_grain"] = Math.Round(shopperActivationUs, 1),
                ["model_activations_per_event"] = Math.Round((double)activations / events, 3),
                ["model_states_written_per_event"] = Math.Round((double)s.States / events, 3),
                ["model_state_json_bytes"] = Math.Round((double)s.JsonBytes / Math.Max(1, s.States)),
                ["model_alloc_kb_per_event"] = Math.Round(allocated / 1024.0 / events, 2),
                ["model_server_events_per_sec_per_core"] = Math.Round(1e6 / (total / events)),
            };
            if (quiet)
            {
                return result;
            }

            BenchLog.Info($"cost model (one thread, its own CPU time; {events:N0} fresh events, checkpoint every {flushEvery:N0}{(hopped ? ", SOME WORK HOPPED THREADS" : "")}): " +
                $"parse+validate {parseUs / events:0.0} us + apply {applyUs / events:0.0} us ({(double)activations / events:0.00} activations/event, {s.Reads} reads, a read miss costs {readMissUs:0.0} us) + " +
                $"checkpoint {checkpointUs / events:0.0} us ({(double)s.States / events:0.00} states/event at {checkpointUs / Math.Max(1, s.States):0.0} us/state, {s.JsonBytes / Math.Max(1, s.States):N0} bytes/state) = {total / events:0.0} us/event " +
                $"=> {1e6 / (total / events):N0} events/s per core before HTTP; allocated {allocated / 1024.0 / events:0.0} KB/event; wall {wallUs / events:0.0} us/event");
            BenchLog.Info($"cost model split: apply on warm grains {warmApplyUs:0.0} us/event; an activation costs {activationUs:0.0} us ({readMissUs:0.0} of it the storage read); GetGrain {getGrainUs:0.00} us; " +
                $"activating a stateless grain {statelessActivationUs:0.0} us, a shopper grain {shopperActivationUs:0.0} us (with one call each)");
            return result;
        }
        finally
        {
            await runtime.DisposeAsync();
        }
    }
}
