using System.Diagnostics;
using System.Text.Json;
using CartRecovery.Bench.Infrastructure;
using CartRecovery.Bench.Support;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Diagnostics;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Json;
using CartRecovery.Runtime;
using CartRecovery.Runtime.Storage;
using CartRecovery.Runtime.Storage.Sqlite;
using CartRecovery.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace CartRecovery.Bench.Scenarios;

/// <summary>
/// Ingestion, embedded default (one process, SQLite, in-process bus): events per second from HTTP
/// batches of 100 real REES46 events (POST /v1/events with X-Api-Key) through validation, the bus and
/// the shopper/session/cart grains to a committed checkpoint (the answer waits for the group commit),
/// with p50/p99 per batch. One continuous load; throughput is read over windows after a warm-up and
/// the median window is reported. Baseline in the same run: the same bodies posted to a bare Kestrel
/// endpoint that only reads, parses and validates them (<see cref="ValidateOnlyServer"/>), the
/// physical limit of HTTP + JSON here. Applied events are counted from the product's own metric.
/// The silo's storage is wrapped in a pass-through timer (<see cref="TimedStorage"/>) so the report
/// can say how much of the time is storage, and process CPU, GC, thread pool and meter figures are
/// taken over the measured windows. Before the load, <see cref="IngestCostModel"/> measures the
/// server's CPU cost per event on one thread (parse, apply, checkpoint; robust to other load on the
/// machine); after it, the bus is driven in process with and without the checkpoint wait.
/// Goal: at least 50,000 events/s on this 2-core machine (client and server share the cores).
/// Options: --events N (2400000 generated), --concurrency N (256), --rounds N (3), --seconds S (8),
/// --warmup S (5), --no-breakdown.
/// </summary>
public sealed class IngestBench : IScenario
{
    private const int BatchSize = 100;
    private const string ApiKey = "bench-key";

    public string Name => "ingest";

    public string Description => "HTTP event ingestion to committed grain state (embedded), events/s vs validate-only HTTP";

    public async Task<BenchResult> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var eventCount = BenchOptions.Int(args, "--events", 2_400_000);
        var concurrency = BenchOptions.Int(args, "--concurrency", 256);
        var rounds = BenchOptions.Int(args, "--rounds", 3);
        var roundSeconds = BenchOptions.Double(args, "--seconds", 8);
        var warmupSeconds = BenchOptions.Double(args, "--warmup", 5);
        var breakdown = !BenchOptions.Flag(args, "--no-breakdown");
        var loadBefore = MachineLoad.Check(Name);

        var t = Stopwatch.GetTimestamp();
        var bodies = Rees46Batches.Build(eventCount, BatchSize);
        BenchLog.Info($"ingest bench: {bodies.Count:N0} bodies of {BatchSize} REES46 events ({bodies.Sum(b => (long)b.Length) / bodies.Count:N0} bytes each) built in {Stopwatch.GetElapsedTime(t).TotalSeconds:0.0} s; {concurrency} concurrent requests");
        var details = new Dictionary<string, double> { ["load_average_before"] = loadBefore };
        if (breakdown)
        {
            // Server cost per event on one thread, from the last bodies (the load uses the first ones):
            // 500 bodies (the first 100 warm the JIT up) = 40,000 measured events, a checkpoint every
            // 10,000 events (one 200 ms flush at 50,000/s).
            foreach (var (key, figure) in await IngestCostModel.MeasureAsync(bodies.GetRange(bodies.Count - 500, 500), 10_000, cancellationToken))
            {
                details[key] = figure;
            }

            bodies.RemoveRange(bodies.Count - 500, 500);
        }

        GC.Collect();

        // Baseline: the same bodies through HTTP + parse + validate only.
        var baselineWindows = new List<HttpLoad.Window>();
        await using (var plain = await ValidateOnlyServer.StartAsync())
        {
            using var load = new HttpLoad(new Uri(plain.BaseAddress + "/v1/events"), bodies, wrap: true, concurrency);
            const double warm = 3, window = 5;
            var r = await load.RunAsync(concurrency, TimeSpan.FromSeconds(warm + rounds * window), TimeSpan.FromSeconds(10), cancellationToken);
            for (var round = 0; round < rounds; round++)
            {
                var w = r.Between(warm + round * window, warm + (round + 1) * window);
                baselineWindows.Add(w);
                Report("validate-only", round + 1, w);
            }
        }

        GC.Collect();
        using var db = new TempSqlite("cr-bench-ingest");
        TimedStorage? storage = null;
        var app = await SiloApp.StartAsync(
            [
                "--environment", "Development",
                "--Http:Port=0",
                "--Http:InternalPort=0",
                $"--Storage:ConnectionString={db.ConnectionString}",
                $"--Auth:IngestKey={ApiKey}",
                "--Limits:EventsPerShopperPerSecond=100000",
                "--Limits:RequestsPerIpPerSecond=1000000",
                "--Logging:LogLevel:Default=Warning",
            ],
            builder => builder.Services.AddSingleton<IGrainStorage>(_ => storage = new TimedStorage(new SqliteGrainStorage(db.ConnectionString))));
        var windows = new List<HttpLoad.Window>();
        try
        {
            var baseUrl = SiloApp.BaseAddress(app);
            var metrics = app.Services.GetRequiredService<DomainMetrics>();
            var runtime = app.Services.GetRequiredService<GrainRuntime>();
            BenchLog.Info($"silo started at {baseUrl} ({runtime.Map.Count} partitions, flush every {runtime.Options.FlushInterval.TotalMilliseconds:0} ms, storage {runtime.Storage.ProviderName})");
            using var meters = new MeterTotals("checkpoint_states", "reminders_fired_total");

            using var load = new HttpLoad(new Uri(baseUrl + "/v1/events"), bodies, wrap: false, concurrency, ("X-Api-Key", ApiKey));
            var measured = rounds * roundSeconds;
            var sampler = SampleAsync(runtime, storage!, metrics, meters, warmupSeconds, measured, cancellationToken);
            var r = await load.RunAsync(concurrency, TimeSpan.FromSeconds(warmupSeconds + measured), TimeSpan.FromSeconds(15), cancellationToken);
            var (a, b) = await sampler;
            Report("silo warm-up", 0, r.Between(0, warmupSeconds));
            for (var round = 0; round < rounds; round++)
            {
                var w = r.Between(warmupSeconds + round * roundSeconds, warmupSeconds + (round + 1) * roundSeconds);
                if (w.Requests > 0)
                {
                    windows.Add(w);
                    Report("silo /v1/events", round + 1, w);
                }
            }

            if (r.Failures > 0)
            {
                BenchLog.Info($"  {r.Failures} failed requests; first: {r.FirstError}");
            }

            if (r.Stuck > 0)
            {
                BenchLog.Info($"  {r.Stuck} requests were still unanswered 15 s after the load stopped (cancelled)");
            }

            // Let the last checkpoint land, then compare what answers said with what the grains applied.
            await Task.Delay(500, cancellationToken);
            var accepted = r.Completions.Where(c => c.Accepted > 0).Sum(c => (long)c.Accepted);
            BenchLog.Info($"accepted in answers {accepted:N0}, applied by the grains (events_ingested_total) {metrics.IngestedTotal:N0}, rejected {metrics.RejectedTotal:N0}; activations {runtime.ActivationCount:N0}; unused bodies {bodies.Count - load.Sent:N0}");
            details["events_accepted_total"] = accepted;
            details["events_applied_total"] = metrics.IngestedTotal;
            details["events_rejected_total"] = metrics.RejectedTotal;
            details["requests_failed"] = r.Failures;
            details["requests_stuck_after_load"] = r.Stuck;
            details["activations"] = runtime.ActivationCount;
            details["timers_active"] = Timer.ActiveCount;
            details["reminders_scheduled"] = runtime.Reminders.Count;
            BenchLog.Info($"timers active in the process {Timer.ActiveCount:N0} (the per-shopper rate limiter's token buckets each own one), reminders scheduled {runtime.Reminders.Count:N0}");
            Describe(a, b, details);

            if (breakdown)
            {
                foreach (var (key, figure) in await BreakdownAsync(app, bodies, (int)Math.Min(load.Sent, bodies.Count), concurrency, cancellationToken))
                {
                    details[key] = figure;
                }
            }
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        var value = windows.Count > 0 ? LatencyLog.Median(windows.Select(w => w.EventsPerSecond)) : 0;
        var baseline = LatencyLog.Median(baselineWindows.Select(w => w.EventsPerSecond));
        var ratio = value / baseline;
        var latencies = windows.SelectMany(w => w.SortedLatenciesMs).Order().ToArray();
        var baseLatencies = baselineWindows.SelectMany(w => w.SortedLatenciesMs).Order().ToArray();
        var met = value >= 50_000 && details["requests_failed"] == 0;
        details["concurrency"] = concurrency;
        details["batch_events"] = BatchSize;
        details["batch_p50_ms"] = Math.Round(LatencyLog.Rank(latencies, 50), 2);
        details["batch_p99_ms"] = Math.Round(LatencyLog.Rank(latencies, 99), 2);
        details["baseline_batch_p50_ms"] = Math.Round(LatencyLog.Rank(baseLatencies, 50), 2);
        details["baseline_batch_p99_ms"] = Math.Round(LatencyLog.Rank(baseLatencies, 99), 2);
        BenchLog.Info($"ingest: {value:N0} events/s (batch p50 {details["batch_p50_ms"]} ms, p99 {details["batch_p99_ms"]} ms) vs validate-only {baseline:N0} events/s (ratio {ratio:0.00}); goal {(met ? "met" : "MISSED")}");
        return new BenchResult(Name, Math.Round(value), "events/s", Math.Round(baseline), Math.Round(ratio, 3),
            ">= 50000 events/s via HTTP batches of 100 to committed grain state (embedded, 2 cores)", met)
        {
            Details = details,
        }.Finite();
    }

    private static void Report(string what, int round, HttpLoad.Window w) =>
        BenchLog.Info($"  {what} {(round > 0 ? "window " + round : "")}: {w.EventsPerSecond,10:N0} events/s, {w.RequestsPerSecond,7:N0} req/s, batch p50 {w.P50,7:0.0} ms p99 {w.P99,7:0.0} ms, {w.Failures} failed");

    private sealed record Sample(ProcessSample Process, TimedStorage.Snapshot Storage, long Applied, long Calls, double Checkpoints, double CheckpointStates, double Reminders, int MaxThreads, long MaxQueued);

    /// <summary>Samples at the end of the warm-up and at the end of the measured windows; watches the thread pool in between.</summary>
    private static async Task<(Sample, Sample)> SampleAsync(GrainRuntime runtime, TimedStorage storage, DomainMetrics metrics, MeterTotals meters, double warmup, double measured, CancellationToken ct)
    {
        var maxThreads = 0;
        long maxQueued = 0;
        Sample Take() => new(ProcessSample.Now(), storage.Take(), metrics.IngestedTotal, runtime.Metrics.Calls,
            meters["checkpoint_states"].Count, meters["checkpoint_states"].Sum, meters["reminders_fired_total"].Sum, maxThreads, maxQueued);

        await Task.Delay(TimeSpan.FromSeconds(warmup), ct);
        var a = Take();
        var end = Stopwatch.GetTimestamp() + (long)(measured * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            maxThreads = Math.Max(maxThreads, ThreadPool.ThreadCount);
            maxQueued = Math.Max(maxQueued, ThreadPool.PendingWorkItemCount);
            await Task.Delay(250, ct);
        }

        return (a, Take());
    }

    private static void Describe(Sample a, Sample b, Dictionary<string, double> details)
    {
        var wallMs = b.Process.WallMsSince(a.Process);
        var applied = Math.Max(1, b.Applied - a.Applied);
        var s = b.Storage.Minus(a.Storage);
        var cpuUs = (b.Process.CpuMs - a.Process.CpuMs) * 1000 / applied;
        var checkpoints = b.Checkpoints - a.Checkpoints;
        var states = b.CheckpointStates - a.CheckpointStates;
        BenchLog.Info($"measured windows: {applied:N0} events applied, {b.Process.Describe(a.Process)}; {cpuUs:0.0} us of CPU per event (client included), i.e. at most {1e6 * Environment.ProcessorCount / cpuUs:N0} events/s with all {Environment.ProcessorCount} cores to itself");
        BenchLog.Info($"  grain calls {(double)(b.Calls - a.Calls) / applied:0.00}/event; storage reads {s.Reads:N0} ({(double)s.Reads / applied:0.00}/event, {s.ReadMs / Math.Max(1, s.Reads) * 1000:0} us each, {s.ReadMs / wallMs * 100:0}% of wall time on one thread)");
        BenchLog.Info($"  checkpoints {checkpoints:N0} ({checkpoints / (wallMs / 1000):0}/s, {states / Math.Max(1, checkpoints):0} states each), states written {states / applied:0.00}/event, JSON {s.JsonBytes / Math.Max(1, s.States):N0} bytes/state ({s.JsonBytes / (wallMs / 1000) / 1e6:0.0} MB/s), " +
            $"checkpoint write time {s.CheckpointMs / wallMs * 100:0}% of wall time; reminders fired {b.Reminders - a.Reminders:N0}, thread pool max {b.MaxThreads} threads / {b.MaxQueued} queued items");
        details["cpu_us_per_event"] = Math.Round(cpuUs, 1);
        details["events_per_sec_if_all_cores"] = Math.Round(1e6 * Environment.ProcessorCount / cpuUs);
        details["cpu_cores_busy"] = Math.Round(b.Process.CoresSince(a.Process), 2);
        details["gc_pause_percent"] = Math.Round((b.Process.GcPauseMs - a.Process.GcPauseMs) / wallMs * 100, 1);
        details["gen2_collections"] = b.Process.Gen2 - a.Process.Gen2;
        details["alloc_kb_per_event"] = Math.Round((b.Process.Allocated - a.Process.Allocated) / 1024.0 / applied, 1);
        details["grain_calls_per_event"] = Math.Round((double)(b.Calls - a.Calls) / applied, 2);
        details["storage_reads_per_event"] = Math.Round((double)s.Reads / applied, 3);
        details["storage_read_us"] = Math.Round(s.ReadMs / Math.Max(1, s.Reads) * 1000, 1);
        details["checkpoints_per_sec"] = Math.Round(checkpoints / (wallMs / 1000), 1);
        details["states_per_checkpoint"] = Math.Round(states / Math.Max(1, checkpoints), 1);
        details["states_written_per_event"] = Math.Round(states / applied, 3);
        details["state_json_bytes_avg"] = Math.Round((double)s.JsonBytes / Math.Max(1, s.States));
        details["checkpoint_write_busy_percent"] = Math.Round(s.CheckpointMs / wallMs * 100, 1);
        details["reminders_fired"] = b.Reminders - a.Reminders;
        details["threadpool_max_threads"] = b.MaxThreads;
    }

    /// <summary>
    /// The group commit's share, with fresh events after the load: the silo's bus driven in process
    /// (no HTTP) by the same number of concurrent publishers, first as the endpoint uses it (answer
    /// after the checkpoint), then without waiting for the checkpoint.
    /// </summary>
    private static async Task<Dictionary<string, double>> BreakdownAsync(WebApplication app, List<byte[]> bodies, int firstUnused, int concurrency, CancellationToken ct)
    {
        var result = new Dictionary<string, double>();
        var bus = app.Services.GetRequiredService<InProcessEventBus>();
        var metrics = app.Services.GetRequiredService<DomainMetrics>();
        var remaining = bodies.Count - firstUnused;
        if (remaining < 400)
        {
            BenchLog.Info("breakdown skipped: too few unused bodies left");
            return result;
        }

        var batches = bodies.Skip(firstUnused).Select(b => JsonSerializer.Deserialize(b, GrainsJsonContext.Default.ListStorefrontEvent)!).ToList();
        var half = batches.Count / 2;
        foreach (var (label, wait, slice) in new[] { ("bus_with_checkpoint_wait", true, batches.Take(half).ToList()), ("bus_no_checkpoint_wait", false, batches.Skip(half).ToList()) })
        {
            bus.WaitForCheckpoint = wait;
            try
            {
                var appliedBefore = metrics.IngestedTotal;
                var r = await DriveBusAsync(bus, slice, concurrency, TimeSpan.FromSeconds(6), ct);
                result[$"{label}_events_per_sec"] = Math.Round(r.Events / r.Seconds);
                result[$"{label}_p50_ms"] = Math.Round(r.P50, 2);
                BenchLog.Info($"  breakdown {label}: {r.Events / r.Seconds,10:N0} events/s, batch p50 {r.P50:0.0} ms p99 {r.P99:0.0} ms ({metrics.IngestedTotal - appliedBefore:N0} applied)");
            }
            finally
            {
                bus.WaitForCheckpoint = true;
            }
        }

        return result;
    }

    private sealed record BusRun(long Events, double Seconds, double P50, double P99);

    private static async Task<BusRun> DriveBusAsync(InProcessEventBus bus, List<List<StorefrontEvent>> batches, int concurrency, TimeSpan duration, CancellationToken ct)
    {
        var cursor = -1;
        long events = 0;
        long stuck = 0;
        var log = new LatencyLog();
        var started = Stopwatch.GetTimestamp();
        var stop = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var samples = log.NewList();
            while (Stopwatch.GetTimestamp() < stop)
            {
                var i = Interlocked.Increment(ref cursor);
                if (i >= batches.Count)
                {
                    return;
                }

                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    await bus.PublishAsync(batches[i], ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
                }
                catch (TimeoutException)
                {
                    Interlocked.Increment(ref stuck);
                    return;
                }

                samples.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                Interlocked.Add(ref events, batches[i].Count);
            }
        }, ct)));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var (p50, p99) = log.Percentiles();
        if (stuck > 0)
        {
            BenchLog.Info($"  {stuck} bus publishes did not complete within 30 s");
        }

        return new BusRun(events, seconds, p50, p99);
    }
}
