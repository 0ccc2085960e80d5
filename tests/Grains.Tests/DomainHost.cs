using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Hosting;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Replay;
using CartRecovery.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Grains.Tests;

/// <summary>The product's grains in process over a temp SQLite file, with a hand-driven clock.</summary>
public sealed class DomainHost : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _provider;
    private readonly List<IHostedService> _hosted;
    private int _seq;

    private DomainHost(ServiceProvider provider, List<IHostedService> hosted)
    {
        _provider = provider;
        _hosted = hosted;
    }

    public ManualClock Clock => (ManualClock)_provider.GetRequiredService<TimeProvider>();

    public GrainRuntime Runtime => _provider.GetRequiredService<GrainRuntime>();

    public IGrainFactory Grains => _provider.GetRequiredService<IGrainFactory>();

    public IServiceProvider Services => _provider;

    /// <summary>Policy defaults for tests: short delays, no value/risk floor, no control group, no quiet hours.</summary>
    public static async Task<DomainHost> StartAsync(Dictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = $"Data Source={Path.Combine(Path.GetTempPath(), "cr-domain-" + Guid.NewGuid().ToString("N") + ".db")}",
            ["Runtime:Partitions"] = "8",
            ["Runtime:ReminderPollInterval"] = "00:00:00",
            ["Runtime:FlushInterval"] = "00:00:00.050",
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
        var services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton<TimeProvider>(new ManualClock(Start));
        services.AddCartRecoveryGrains(configuration);
        var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var h in hosted)
        {
            await h.StartAsync(CancellationToken.None);
        }

        provider.GetRequiredService<InProcessEventBus>().WaitForCheckpoint = false;
        return new DomainHost(provider, hosted);
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
        _provider.GetRequiredService<EventIngestor>().IngestAsync(events, "test", CancellationToken.None);

    /// <summary>Moves the clock to Start + seconds, firing every reminder due on the way, in order.</summary>
    public async Task AdvanceAsync(double secondsAfterStart)
    {
        var target = Start.AddSeconds(secondsAfterStart);
        while (Runtime.Reminders.NextDue() is { } due && due <= target)
        {
            Clock.Set(due);
            await Runtime.Reminders.FireDueAsync(due);
        }

        Clock.Set(target);
    }

    public Task<CartState> CartAsync(string shopper, string? cart = null) =>
        Grains.GetGrain<ICartGrain>($"{shopper}/{cart ?? "c-" + shopper + "-s1"}").Get();

    public async ValueTask DisposeAsync()
    {
        foreach (var h in Enumerable.Reverse(_hosted))
        {
            await h.StopAsync(CancellationToken.None);
        }

        await _provider.DisposeAsync();
    }
}
