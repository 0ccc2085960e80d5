using System.Diagnostics;
using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Hosting;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Reports;
using CartRecovery.Grains.Carts;
using CartRecovery.Grains.Common;
using CartRecovery.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Grains.Replay;

public sealed class ReplayOptions
{
    public required string Input { get; init; }

    public int Scale { get; init; } = 1;

    public int Seed { get; init; } = 1;

    /// <summary>Storage connection string (SQLite by default: a fresh scratch file, deleted when the replay ends).</summary>
    public string? StorageConnectionString { get; init; }

    /// <summary>Where the scratch SQLite file goes when no <see cref="StorageConnectionString"/> is given (default: the temp folder).</summary>
    public string? ScratchDirectory { get; init; }

    public string StorageProvider { get; init; } = "Sqlite";

    /// <summary>Extra configuration (e.g. Policy:OnsiteDelaySeconds) applied over the defaults.</summary>
    public IDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();
}

public sealed record ReplayProgress(int Applied, int Total, double EventsPerSecond);

public sealed record ReplayResult(RecoveryReport Report, int Events, TimeSpan Elapsed, int RemindersFired)
{
    /// <summary>The same report from a full scan of the stored carts (the running totals must agree with it).</summary>
    public RecoveryReport? Scanned { get; init; }

    public double EventsPerSecond => Events / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// Replays a real storefront log through the same grains in process, with a clock compressed to
/// event time: the clock jumps from event to event and every cart deadline due in between runs in
/// order, so hours of shopping replay in seconds and the outcome is repeatable. The grains run in
/// a silo of their own inside this process; only the domain's clock is compressed, never Orleans'. A shopper counts
/// as connected from a session's first event to two minutes after its last.
/// </summary>
public static class ReplayRunner
{
    private static readonly TimeSpan Linger = TimeSpan.FromMinutes(2);

    public static async Task<ReplayResult> RunAsync(ReplayOptions options, IProgress<ReplayProgress>? progress, CancellationToken cancellationToken)
    {
        var events = StorefrontLog.Load(options.Input, options.Scale, options.Seed);
        if (events.Count == 0)
        {
            throw new InvalidDataException($"{options.Input}: no events");
        }

        // Without a database of the caller's, the grains keep their states in a scratch file removed afterwards.
        var scratch = options.StorageConnectionString is null
            ? Path.Combine(options.ScratchDirectory ?? Path.GetTempPath(), $"cart-recovery-replay-{Guid.NewGuid():N}.db")
            : null;
        var clock = new ManualClock(events[0].OccurredAt);
        var scheduler = new ReplayCartScheduler();
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = options.StorageProvider,
            ["Storage:ConnectionString"] = options.StorageConnectionString ?? $"Data Source={scratch}",
            ["Runtime:CollectionAge"] = "01:00:00",
        };
        foreach (var (k, v) in options.Settings)
        {
            settings[k] = v;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        // Warnings go to stderr: stdout is the command's result (replay --json).
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(new DomainClock(clock));
        builder.Services.AddSingleton<ICartScheduler>(scheduler);
        builder.Services.AddCartRecoveryGrains(configuration);
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(LocalPorts.Free(), LocalPorts.Free(), serviceId: "replay", clusterId: "replay")
            .AddCartRecoveryStorage(configuration));
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var bus = host.Services.GetRequiredService<IEventBus>();
            var policy = host.Services.GetRequiredService<Policy.PolicyCache>().Current;

            // Connection windows per session: connect at the first event, disconnect after the last.
            var sessions = events.GroupBy(e => (e.ShopperId, e.SessionId))
                .Select(g => (g.Key.ShopperId, Start: g.Min(e => e.OccurredAt), End: g.Max(e => e.OccurredAt) + Linger)).ToList();
            var timeline = new PriorityQueue<(string Shopper, bool Connect), (DateTimeOffset, int)>();
            foreach (var (shopper, start, end) in sessions)
            {
                timeline.Enqueue((shopper, true), (start, 0));
                timeline.Enqueue((shopper, false), (end, 1));
            }

            var watch = Stopwatch.StartNew();
            var fired = 0;
            var applied = 0;

            async Task AdvanceToAsync(DateTimeOffset target)
            {
                while (true)
                {
                    DateTimeOffset? next = timeline.TryPeek(out _, out var p) ? p.Item1 : null;
                    if (scheduler.NextDue() is { } due && (next is null || due < next))
                    {
                        next = due;
                    }

                    if (next is not { } at || at > target)
                    {
                        break;
                    }

                    clock.Set(at);
                    while (timeline.TryPeek(out var item, out var pri) && pri.Item1 <= at)
                    {
                        timeline.Dequeue();
                        var shopper = grains.GetGrain<IShopperGrain>(item.Shopper);
                        await (item.Connect ? shopper.Connect() : shopper.Disconnect());
                    }

                    // In due order, one at a time: a cart's nudge may depend on its shopper's earlier ones.
                    foreach (var cart in scheduler.TakeDue(at))
                    {
                        await grains.GetGrain<ICartGrain>(cart).Advance();
                        fired++;
                    }
                }

                clock.Set(target);
            }

            var batch = new List<StorefrontEvent>(512);
            for (var i = 0; i < events.Count;)
            {
                var at = events[i].OccurredAt;
                await AdvanceToAsync(at);
                batch.Clear();
                while (i < events.Count && events[i].OccurredAt == at)
                {
                    batch.Add(events[i++]);
                }

                await bus.PublishAsync(batch.ToList(), cancellationToken);
                applied += batch.Count;
                if (progress is not null && (applied % 2000 < batch.Count || i == events.Count))
                {
                    progress.Report(new ReplayProgress(applied, events.Count, applied / Math.Max(watch.Elapsed.TotalSeconds, 1e-9)));
                }
            }

            var elapsed = watch.Elapsed;

            // Let every cart run to its end: attribution windows close, idle carts expire.
            var horizon = events[^1].OccurredAt + TimeSpan.FromHours(Math.Max(policy.ExpireAfterHours, policy.AttributionWindowHours) + 1);
            await AdvanceToAsync(horizon);
            var report = await new RecoveryReports(grains).GetAsync(null, null, cancellationToken);
            var scanned = await RecoveryReport.FromSourceAsync(host.Services.GetRequiredService<ICartStateSource>(), null, null, cancellationToken);
            return new ReplayResult(report, events.Count, elapsed, fired) { Scanned = scanned };
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
            if (scratch is not null)
            {
                SqliteFiles.Delete(scratch);
            }
        }
    }
}
