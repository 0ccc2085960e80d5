using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Hosting;
using CartRecovery.Grains.Ingestion;
using CartRecovery.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Grains.Tests;

/// <summary>
/// A single silo on the real clock with the live deadline scheduler (grain timers and durable
/// reminders), over a SQLite file that outlives it, so a second silo can take over the same state.
/// The caller owns the file (<see cref="NewDatabase"/>) and disposes it after the last silo over it.
/// </summary>
public sealed class LiveSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private LiveSilo(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    /// <summary>A fresh temp SQLite file, deleted (with its -wal, -shm and -journal files) on dispose.</summary>
    public static TempSqliteFile NewDatabase() => new("cr-live-");

    public static async Task<LiveSilo> StartAsync(TempSqliteFile database, Dictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = database.ConnectionString,
            ["Policy:OnsiteDelaySeconds"] = "2",
            ["Policy:AbandonAfterSeconds"] = "3",
            ["Policy:MinCartValue"] = "0",
            ["Policy:RiskThreshold"] = "0",
            ["Policy:ControlFraction"] = "0",
            ["Policy:QuietHours:StartHour"] = "0",
            ["Policy:QuietHours:EndHour"] = "0",
        };
        foreach (var (k, v) in overrides ?? new())
        {
            settings[k] = v;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddCartRecoveryGrains(configuration);
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(LocalPorts.Free(), LocalPorts.Free(), serviceId: "live-tests", clusterId: Guid.NewGuid().ToString("N"))
            .AddCartRecoveryStorage(configuration));
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            // Disposed before the caller deletes the database; the start's exception is the one to report.
            try
            {
                host.Dispose();
            }
            catch (Exception)
            {
            }

            throw;
        }

        return new LiveSilo(host);
    }

    public Task<IngestResult> IngestAsync(params StorefrontEvent[] events) =>
        Services.GetRequiredService<EventIngestor>().IngestAsync(events, "test", CancellationToken.None);

    public static StorefrontEvent Add(string shopper, DateTimeOffset at, string sku = "A", double price = 20) => new()
    {
        EventId = Guid.NewGuid().ToString("N"),
        Type = EventTypes.AddToCart,
        ShopperId = shopper,
        SessionId = shopper + "-s1",
        OccurredAt = at,
        Item = new ItemInfo { Sku = sku, Name = sku, Price = price, Quantity = 1, Currency = "EUR" },
    };

    public Task<CartState> CartAsync(string shopper) => Grains.GetGrain<ICartGrain>($"{shopper}/c-{shopper}-s1").Get();

    /// <summary>Polls the cart until <paramref name="done"/> holds or the timeout passes.</summary>
    public async Task<CartState> WaitForCartAsync(string shopper, Func<CartState, bool> done, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var cart = await CartAsync(shopper);
            if (done(cart) || DateTime.UtcNow > until)
            {
                return cart;
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
