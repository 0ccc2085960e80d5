using CartRecovery.Gateway.Hubs;
using CartRecovery.Gateway.Metrics;
using CartRecovery.Grains.Diagnostics;
using CartRecovery.Grains.Reports;
using CartRecovery.Grains.Scoring;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Hosting;

namespace CartRecovery.Gateway.Dashboard;

/// <summary>Optional figures the dashboard shows when present (Kafka consumer lag).</summary>
public interface IDashboardExtras
{
    long? KafkaLag { get; }
}

/// <summary>
/// Builds the admin snapshot once a second from counters and samples already kept in memory; the
/// business figures come from a storage scan, and the silos and activations from Orleans'
/// management grain, every <see cref="ReportInterval"/>. History is a
/// fixed ring, so the cost stays flat however long the dashboard stays open. Nothing is pushed
/// while no admin is connected.
/// </summary>
public sealed class DashboardService(
    IServiceProvider services,
    RecoveryReports reports,
    IGrainFactory grains,
    StorageCommitTap commits,
    DomainMetrics domain,
    GatewayMetrics gateway,
    ScorerProvider scorer,
    IHubContext<AdminHub> hub,
    TimeProvider time) : BackgroundService
{
    public const int HistoryLength = 300;

    private readonly Queue<HistoryPoint> _history = new();
    private RecoveryReport _report = new();
    private IReadOnlyList<SiloView> _silos = [];
    private Dictionary<string, long> _activations = new();
    private DateTimeOffset _lastReport = DateTimeOffset.MinValue;

    public static TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(10);

    public DashboardSnapshot? Latest { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var extras = services.GetService(typeof(IDashboardExtras)) as IDashboardExtras;
        var lastEvents = domain.IngestedTotal;
        var lastAt = time.GetUtcNow();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var now = time.GetUtcNow();
                var events = domain.IngestedTotal;
                var rate = (events - lastEvents) / Math.Max(0.001, (now - lastAt).TotalSeconds);
                lastEvents = events;
                lastAt = now;
                if (gateway.AdminConnections > 0 && now - _lastReport >= ReportInterval)
                {
                    _lastReport = now;
                    _report = await reports.GetAsync(null, null, stoppingToken);
                    await RefreshClusterAsync();
                }

                Latest = Build(now, rate, extras);
                if (gateway.AdminConnections > 0)
                {
                    await hub.Clients.Group(AdminHub.Group).SendAsync(AdminHub.SnapshotMethod, Latest, stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A failed scan (storage down) leaves the previous figures; readiness reports storage.
            }
        }
    }

    private async Task RefreshClusterAsync()
    {
        var management = grains.GetGrain<IManagementGrain>(0);
        var hosts = await management.GetDetailedHosts(onlyActive: true);
        var stats = await management.GetSimpleGrainStatistics();
        _silos = hosts.Select(h => new SiloView(
            h.SiloName,
            h.SiloAddress.ToParsableString(),
            h.Status.ToString(),
            stats.Where(s => s.SiloAddress.Equals(h.SiloAddress)).Sum(s => s.ActivationCount))).ToList();
        _activations = stats.Where(s => s.GrainType.StartsWith("CartRecovery.", StringComparison.Ordinal))
            .GroupBy(s => ShortName(s.GrainType))
            .ToDictionary(g => g.Key, g => (long)g.Sum(s => s.ActivationCount));
    }

    /// <summary>"CartRecovery.Grains.Carts.CartGrain,CartRecovery.Grains" → "cart".</summary>
    private static string ShortName(string grainType)
    {
        var name = grainType.Split(',')[0];
        name = name[(name.LastIndexOf('.') + 1)..];
        return (name.EndsWith("Grain", StringComparison.Ordinal) ? name[..^5] : name).ToLowerInvariant();
    }

    private DashboardSnapshot Build(DateTimeOffset now, double rate, IDashboardExtras? extras)
    {
        var calls = domain.BatchLatency.Percentiles(50, 99);
        double? p50 = Ms(calls[0]), p99 = Ms(calls[1]);
        var commitP99 = Ms(commits.Commits.Percentiles(99)[0]);
        var point = new HistoryPoint(now, Math.Round(rate, 1), p99, _report.RecoveredRevenue, domain.NudgesCreated);
        _history.Enqueue(point);
        while (_history.Count > HistoryLength)
        {
            _history.Dequeue();
        }

        return new DashboardSnapshot
        {
            At = now,
            Silos = _silos,
            Activations = _activations,
            EventsPerSec = Math.Round(rate, 1),
            CallP50Ms = p50,
            CallP99Ms = p99,
            CommitP99Ms = commitP99,
            Errors = domain.FailedTotal,
            KafkaLag = extras?.KafkaLag,
            ActiveCarts = _report.ActiveCarts,
            CartsAtRisk = _report.CartsAtRisk,
            Nudges = new NudgeCounts(Math.Max(domain.NudgesCreated, _report.NudgesSent), Math.Max(domain.NudgesShown, _report.NudgesShown), Math.Max(domain.NudgesClicked, _report.NudgesClicked)),
            Recovery = new RecoveryView(_report.Treatment.Rate, _report.Control.Rate, _report.Uplift, _report.UpliftCi95),
            RecoveredRevenue = _report.RecoveredRevenue,
            History = _history.ToArray(),
            Model = ModelOf(),
        };
    }

    private ModelView ModelOf()
    {
        if (services.GetService(typeof(Grains.Models.ModelService)) is Grains.Models.ModelService { Active: { Row: { } row } active })
        {
            return new ModelView(
                active.Version,
                row.Metrics?.Auc,
                row.Metrics?.Calibration.Select(b => new CalibrationPoint(b.MeanPredicted, b.ObservedRate, b.Count)).ToList(),
                active.Importance?.OrderByDescending(kv => kv.Value).Take(12).Select(kv => new FeatureGain(kv.Key, kv.Value)).ToList());
        }

        return new ModelView(scorer.Current.Version, null, null, null);
    }

    private static double? Ms(double seconds) => double.IsNaN(seconds) ? null : Math.Round(seconds * 1000, 3);
}
