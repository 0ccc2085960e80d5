using CartRecovery.TestSupport;
using System.Diagnostics;
using CartRecovery.Bench.Infrastructure;
using CartRecovery.Bench.Support;
using CartRecovery.Gateway.Metrics;
using CartRecovery.Silo;
using Microsoft.Extensions.DependencyInjection;

namespace CartRecovery.Bench.Scenarios;

/// <summary>
/// What open dashboards cost ingestion: the ingest load (closed loop, HTTP batches of 100 REES46
/// events to durable grain state, embedded) with both dashboards closed (A) against both open (B):
/// an admin connected to our <c>/hubs/admin</c> with the real SignalR client, and the Orleans
/// Dashboard's overview polled once a second with the admin cookie (<see cref="AdminViewers"/>).
/// Rounds alternate A, B, A, B...; each round is a fresh app on a fresh SQLite file fed the same
/// bodies, because the Orleans Dashboard keeps profiling every grain call for one to two minutes
/// after its last query, so a closed round after an open one in the same silo would not be closed.
/// An uncounted round first warms the process (JIT). value = median events/s open, baseline =
/// median closed. Goal: at most 5% lower (ratio >= 0.95).
/// Options: --rounds N (5 pairs), --seconds S (10 measured per round), --warmup S (5),
/// --concurrency N (256), --events N (1500000), --details (also rounds with only ours and only
/// Orleans' dashboard open).
/// </summary>
public sealed class DashboardBench : IScenario
{
    private const int BatchSize = 100;

    public string Name => "dashboard";

    public string Description => "ingest events/s with both admin dashboards open vs closed (same run, alternating rounds)";

    private sealed record Mode(string Name, bool Ours, bool Orleans);

    private sealed record Round(Mode Mode, double EventsPerSec, double CpuUsPerEvent, double P50, double P99, long Failures, long Snapshots, long Polls, long PollFailures, int MethodsSeen);

    public async Task<BenchResult> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var pairs = BenchOptions.Int(args, "--rounds", 5);
        var seconds = BenchOptions.Double(args, "--seconds", 10);
        var warmup = BenchOptions.Double(args, "--warmup", 5);
        var concurrency = BenchOptions.Int(args, "--concurrency", 256);
        var eventCount = BenchOptions.Int(args, "--events", 1_500_000);
        var withDetails = BenchOptions.Flag(args, "--details");
        var details = new Dictionary<string, double> { ["load_average_before"] = MachineLoad.Check(Name) };

        var bodies = Rees46Batches.Build(eventCount, BatchSize);
        BenchLog.Info($"dashboard: {bodies.Count:N0} bodies of {BatchSize} REES46 events, {concurrency} concurrent requests; rounds of {warmup:0} s warm-up + {seconds:0} s measured, each on a fresh app");
        var closed = new Mode("closed", false, false);
        var open = new Mode("open", true, true);
        Mode[] cycle = withDetails ? [closed, open, new Mode("ours_only", true, false), new Mode("orleans_only", false, true)] : [closed, open];

        BenchLog.Info("warm-up round (not counted)");
        await RunRoundAsync(closed, bodies, concurrency, warmup, seconds, cancellationToken);
        var rounds = new List<Round>();
        for (var pair = 1; pair <= pairs; pair++)
        {
            foreach (var mode in cycle)
            {
                var r = await RunRoundAsync(mode, bodies, concurrency, warmup, seconds, cancellationToken);
                rounds.Add(r);
                BenchLog.Info($"  round {pair} {mode.Name,-12} {r.EventsPerSec,9:N0} events/s  batch p50 {r.P50,6:0.0} ms p99 {r.P99,6:0.0} ms  {r.CpuUsPerEvent,5:0.0} us CPU/event" +
                    (mode.Ours ? $"  snapshots {r.Snapshots}" : "") + (mode.Orleans ? $"  Orleans Dashboard polls {r.Polls} ({r.PollFailures} failed, {r.MethodsSeen} methods listed)" : ""));
            }
        }

        double Median(string mode, Func<Round, double> pick) => Stats.Median(rounds.Where(r => r.Mode.Name == mode).Select(pick).ToArray());
        var value = Median("open", r => r.EventsPerSec);
        var baseline = Median("closed", r => r.EventsPerSec);
        var ratio = value / baseline;
        var opened = rounds.Where(r => r.Mode.Ours || r.Mode.Orleans).ToList();
        var viewersOk = opened.All(r => (!r.Mode.Ours || r.Snapshots >= seconds / 2) && (!r.Mode.Orleans || (r.Polls >= seconds && r.PollFailures == 0 && r.MethodsSeen > 0)));
        var failures = rounds.Sum(r => r.Failures);
        var met = ratio >= 0.95 && viewersOk && failures == 0;
        var pairRatios = rounds.Where(r => r.Mode.Name == "open").Zip(rounds.Where(r => r.Mode.Name == "closed"), (b, a) => b.EventsPerSec / a.EventsPerSec).ToArray();
        details["pairs"] = pairs;
        details["seconds_per_round"] = seconds;
        details["concurrency"] = concurrency;
        details["pair_ratio_min"] = Math.Round(pairRatios.Min(), 3);
        details["pair_ratio_max"] = Math.Round(pairRatios.Max(), 3);
        details["requests_failed"] = failures;
        details["viewers_ok"] = viewersOk ? 1 : 0;
        details["snapshots_per_sec_open"] = Math.Round(Median("open", r => r.Snapshots) / seconds, 2);
        details["orleans_dashboard_polls_per_sec_open"] = Math.Round(Median("open", r => r.Polls) / seconds, 2);
        details["orleans_dashboard_methods_listed"] = Median("open", r => r.MethodsSeen);
        foreach (var mode in cycle)
        {
            details[$"events_per_sec_{mode.Name}"] = Math.Round(Median(mode.Name, r => r.EventsPerSec));
            details[$"batch_p50_ms_{mode.Name}"] = Math.Round(Median(mode.Name, r => r.P50), 2);
            details[$"batch_p99_ms_{mode.Name}"] = Math.Round(Median(mode.Name, r => r.P99), 2);
            details[$"cpu_us_per_event_{mode.Name}"] = Math.Round(Median(mode.Name, r => r.CpuUsPerEvent), 2);
            if (withDetails && mode != closed)
            {
                details[$"ratio_{mode.Name}"] = Math.Round(Median(mode.Name, r => r.EventsPerSec) / baseline, 3);
            }
        }

        // When other work shares the cores, events/s swings with it; the process's CPU per event
        // swings less, and on saturated cores throughput goes as its inverse.
        details["cpu_per_event_ratio_closed_over_open"] = Math.Round(Median("closed", r => r.CpuUsPerEvent) / Median("open", r => r.CpuUsPerEvent), 3);

        BenchLog.Info($"dashboard: {value:N0} events/s with both dashboards open vs {baseline:N0} closed (ratio {ratio:0.000}, pairs {pairRatios.Min():0.000}..{pairRatios.Max():0.000}); goal {(met ? "met" : "MISSED")}");
        return new BenchResult(Name, Math.Round(value), "events/s (both dashboards open)", Math.Round(baseline), Math.Round(ratio, 3),
            "ingest events/s with the Orleans Dashboard and /admin open >= 0.95 x with both closed", met)
        {
            BaselineName = "the same ingest load with both dashboards closed (alternating rounds)",
            Details = details,
        }.Finite();
    }

    private static async Task<Round> RunRoundAsync(Mode mode, List<byte[]> bodies, int concurrency, double warmup, double seconds, CancellationToken ct)
    {
        GC.Collect();
        using var db = new TempSqliteFile("cr-bench-dashboard-");
        var app = await ProductApp.StartAsync(db.ConnectionString);
        try
        {
            var baseAddress = SiloApp.BaseAddress(app);
            await using var viewers = mode.Ours || mode.Orleans ? await AdminViewers.OpenAsync(baseAddress, mode.Ours, mode.Orleans, ct) : null;
            await Task.Delay(1000, ct);
            var admins = app.Services.GetRequiredService<GatewayMetrics>().AdminConnections;
            if (admins != (mode.Ours ? 1 : 0))
            {
                throw new InvalidOperationException($"{admins} admin connections on /hubs/admin in a '{mode.Name}' round");
            }

            using var load = new HttpLoad(new Uri(baseAddress + "/v1/events"), bodies, wrap: false, concurrency, ("X-Api-Key", ProductApp.IngestKey));
            var run = load.RunAsync(concurrency, TimeSpan.FromSeconds(warmup + seconds), TimeSpan.FromSeconds(15), ct);
            await Task.Delay(TimeSpan.FromSeconds(warmup), ct);
            var (cpu0, snapshots0, polls0) = (ProcessSample.Now(), viewers?.Snapshots ?? 0, viewers?.Polls ?? 0);
            await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
            var (cpu1, snapshots1, polls1) = (ProcessSample.Now(), viewers?.Snapshots ?? 0, viewers?.Polls ?? 0);
            var r = await run;
            if (load.Exhausted)
            {
                BenchLog.Info($"  WARNING: all {bodies.Count:N0} bodies were sent before the round ended; pass a larger --events");
            }

            if (r.Failures > 0)
            {
                BenchLog.Info($"  {r.Failures} failed requests; first: {r.FirstError}");
            }

            if (viewers?.FirstPollError is { } error)
            {
                BenchLog.Info($"  Orleans Dashboard poll failed: {error}");
            }

            var w = r.Between(warmup, warmup + seconds);
            var cpuUs = (cpu1.CpuMs - cpu0.CpuMs) * 1000 / Math.Max(1, w.Accepted);
            return new Round(mode, w.EventsPerSecond, cpuUs, w.P50, w.P99, r.Failures + r.Stuck, snapshots1 - snapshots0, polls1 - polls0, viewers?.PollFailures ?? 0, viewers?.MethodsSeen ?? 0);
        }
        finally
        {
            await ProductApp.StopAsync(app);
        }
    }
}
