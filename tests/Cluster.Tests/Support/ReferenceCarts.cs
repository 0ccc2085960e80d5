using System.Text.Json;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Carts;
using CartRecovery.Grains.Common;
using CartRecovery.Grains.Hosting;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Replay;
using CartRecovery.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;

namespace CartRecovery.Cluster.Tests.Support;

/// <summary>What a cart holds that does not depend on when its deadlines ran: its lines and value.</summary>
internal sealed record CartContent(string Lines, double Value)
{
    public static CartContent Of(JsonElement cart)
    {
        var lines = cart.GetProperty("lines").EnumerateArray()
            .Select(l => $"{l.GetProperty("sku").GetString()}x{l.GetProperty("quantity").GetInt32()}")
            .Order(StringComparer.Ordinal);
        return new CartContent(string.Join(",", lines), Math.Round(cart.GetProperty("value").GetDouble(), 2));
    }
}

/// <summary>
/// The single-pass reference: the same events through the same grains on one in-process silo,
/// once, in order, with no deadline ever running, then every cart's content.
/// </summary>
internal static class ReferenceCarts
{
    public static async Task<Dictionary<string, CartContent>> ComputeAsync(IReadOnlyList<List<StorefrontEvent>> batches, IReadOnlyDictionary<string, string> policy)
    {
        var settings = new Dictionary<string, string?> { ["Storage:ConnectionString"] = $"Data Source={Path.Combine(Path.GetTempPath(), "cr-reference-" + Guid.NewGuid().ToString("N") + ".db")}" };
        foreach (var (k, v) in policy)
        {
            settings[k] = v;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Logging.SetMinimumLevel(LogLevel.Warning);
            host.Services.AddSingleton(new DomainClock(new ManualClock(DateTimeOffset.UnixEpoch)));
            host.Services.AddSingleton<ICartScheduler>(new ReplayCartScheduler());
            host.Services.AddCartRecoveryGrains(configuration);
        });
        builder.ConfigureSilo((_, silo) => silo.AddCartRecoveryStorage(configuration));
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        var services = cluster.Silos[0].ServiceProvider;
        var bus = services.GetRequiredService<IEventBus>();
        foreach (var batch in batches)
        {
            await bus.PublishAsync(batch, CancellationToken.None);
        }

        var carts = new Dictionary<string, CartContent>(StringComparer.Ordinal);
        await foreach (var (key, json) in services.GetRequiredService<IGrainStateStore>().ScanAsync("cart", "cart", CancellationToken.None))
        {
            carts[key] = CartContent.Of(JsonDocument.Parse(json).RootElement);
        }

        await cluster.StopAllSilosAsync();
        return carts;
    }

    /// <summary>Batches as JSON bodies for POST /v1/events.</summary>
    public static string Body(List<StorefrontEvent> batch) => JsonSerializer.Serialize(batch, GrainsJsonContext.Default.ListStorefrontEvent);
}
