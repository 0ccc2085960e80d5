using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Carts;
using CartRecovery.Grains.Common;
using CartRecovery.Grains.Hosting;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Replay;
using CartRecovery.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;

namespace CartRecovery.Grains.Tests;

/// <summary>
/// The product's grains on one Orleans test silo over a temp SQLite file, with a hand-driven
/// domain clock: cart deadlines wait until <see cref="AdvanceAsync"/> passes them, as in replay.
/// Disposing it stops the silo, then deletes the file.
/// </summary>
public sealed class DomainHost : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    private readonly InProcessTestCluster _cluster;
    private readonly TempSqliteFile _database;
    private int _seq;

    private DomainHost(InProcessTestCluster cluster, TempSqliteFile database, ManualClock clock, ReplayCartScheduler deadlines)
    {
        _cluster = cluster;
        _database = database;
        Clock = clock;
        Deadlines = deadlines;
    }

    public ManualClock Clock { get; }

    public ReplayCartScheduler Deadlines { get; }

    public IServiceProvider Services => _cluster.Silos[0].ServiceProvider;

    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    /// <summary>Policy defaults for tests: short delays, no value/risk floor, no control group, no quiet hours.</summary>
    public static async Task<DomainHost> StartAsync(Dictionary<string, string?>? overrides = null)
    {
        var database = new TempSqliteFile("cr-domain-");
        var settings = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = database.ConnectionString,
            ["Policy:OnsiteDelaySeconds"] = "60",
            ["Policy:AbandonAfterSeconds"] = "600",
            ["Policy:MinCartValue"] = "0",
            ["Policy:RiskThreshold"] = "0",
            ["Policy:ControlFraction"] = "0",
            ["Policy:QuietHours:StartHour"] = "0",
            ["Policy:QuietHours:EndHour"] = "0",
            ["Policy:FrequencyCapPerDay"] = "10",
        };
        foreach (var (k, v) in overrides ?? new())
        {
            settings[k] = v;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var clock = new ManualClock(Start);
        var deadlines = new ReplayCartScheduler();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Logging.SetMinimumLevel(LogLevel.Warning);
            host.Services.AddSingleton(new DomainClock(clock));
            host.Services.AddSingleton<ICartScheduler>(deadlines);
            host.Services.AddCartRecoveryGrains(configuration);
        });
        builder.ConfigureSilo((_, silo) => silo.AddCartRecoveryStorage(configuration));
        var domain = new DomainHost(builder.Build(), database, clock, deadlines);
        try
        {
            await domain._cluster.DeployAsync();
        }
        catch
        {
            await domain.DisposeQuietlyAsync();
            throw;
        }

        return domain;
    }

    public StorefrontEvent Event(string type, string shopper, double secondsAfterStart, Action<StorefrontEvent>? fill = null)
    {
        var e = new StorefrontEvent
        {
            EventId = $"e{Interlocked.Increment(ref _seq)}",
            Type = type,
            ShopperId = shopper,
            SessionId = shopper + "-s1",
            OccurredAt = Start.AddSeconds(secondsAfterStart),
        };
        fill?.Invoke(e);
        return e;
    }

    public StorefrontEvent Add(string shopper, double at, string sku, double price, int qty = 1, string? cart = null) =>
        Event(EventTypes.AddToCart, shopper, at, e =>
        {
            e.CartId = cart;
            e.Item = new ItemInfo { Sku = sku, Name = sku, Price = price, Quantity = qty, Currency = "EUR" };
        });

    public StorefrontEvent Purchase(string shopper, double at, double total, params string[] skus) =>
        Event(EventTypes.Purchase, shopper, at, e => e.Order = new OrderInfo { OrderId = "o" + _seq, Total = total, Currency = "EUR", Skus = skus.ToList() });

    public Task<IngestResult> IngestAsync(params StorefrontEvent[] events) =>
        Services.GetRequiredService<EventIngestor>().IngestAsync(events, "test", CancellationToken.None);

    /// <summary>Moves the clock to Start + seconds, running every cart deadline due on the way, in order.</summary>
    public async Task AdvanceAsync(double secondsAfterStart)
    {
        var target = Start.AddSeconds(secondsAfterStart);
        while (Deadlines.NextDue() is { } due && due <= target)
        {
            Clock.Set(due);
            foreach (var cart in Deadlines.TakeDue(due))
            {
                await Grains.GetGrain<ICartGrain>(cart).Advance();
            }
        }

        Clock.Set(target);
    }

    public Task<CartState> CartAsync(string shopper, string? cart = null) =>
        Grains.GetGrain<ICartGrain>($"{shopper}/{cart ?? "c-" + shopper + "-s1"}").Get();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _cluster.StopAllSilosAsync();
            await _cluster.DisposeAsync();
        }
        finally
        {
            _database.Dispose();
        }
    }

    // After a failed start: the start's exception is the one to report.
    private async Task DisposeQuietlyAsync()
    {
        try
        {
            await DisposeAsync();
        }
        catch (Exception)
        {
        }
    }
}
