using System.Text.Json;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Carts;
using CartRecovery.Grains.Common;
using CartRecovery.Grains.Hosting;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Replay;
using CartRecovery.Persistence;
using CartRecovery.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;

namespace CartRecovery.Cluster.Tests.Support;

/// <summary>What a cart holds that does not depend on when its deadlines ran: its lines and value.</summary>
internal sealed record CartContent(string Lines, double Value)
{
    /// <summary>
    /// From a cart as the API answers it or as storage holds it. Read through the cart's own contract:
    /// stored states leave out zero values (a cart's value while empty, a line's price of 0).
    /// </summary>
    public static CartContent Of(JsonElement json)
    {
        var cart = json.Deserialize(GrainsJsonContext.Default.CartState)!;
        var lines = cart.Lines.Select(l => $"{l.Sku}x{l.Quantity}").Order(StringComparer.Ordinal);
        return new CartContent(string.Join(",", lines), Math.Round(cart.Value, 2));
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
        // Declared before the cluster, so it is deleted after the cluster is disposed.
        using var database = new TempSqliteFile("cr-reference-");
        var settings = new Dictionary<string, string?> { ["Storage:ConnectionString"] = database.ConnectionString };
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
        foreach (var batch in batches.Where(b => b.Count > 0))
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

    /// <summary>
    /// At least <paramref name="count"/> real REES46 events (the log repeated under fresh ids), timed so
    /// that the last one happened a minute ago.
    /// </summary>
    public static List<StorefrontEvent> RecentRees46(int count)
    {
        var once = StorefrontLog.Load(SharedData.Rees46);
        var events = StorefrontLog.Load(SharedData.Rees46, scale: (int)Math.Ceiling((double)count / once.Count));
        var shift = DateTimeOffset.UtcNow.AddMinutes(-1) - events[^1].OccurredAt;
        foreach (var e in events)
        {
            e.OccurredAt += shift;
        }

        return events;
    }

    /// <summary>
    /// Events in batches of <paramref name="size"/> for <paramref name="senders"/> senders working at
    /// once: batch i belongs to sender i % senders, and one shopper's events are all in one sender's
    /// batches, in their order. Sent with <see cref="SendInOrderAsync"/>, a shopper's events arrive in
    /// order even when a batch is retried, as a store backend sends them; the reference applies them
    /// in that order too (a cart's identity depends on it: an event without cart_id joins the
    /// shopper's active cart).
    /// </summary>
    public static List<List<StorefrontEvent>> InLanes(IEnumerable<StorefrontEvent> events, int senders, int size = 250)
    {
        var lanes = Enumerable.Range(0, senders).Select(_ => new List<StorefrontEvent>()).ToList();
        foreach (var e in events)
        {
            lanes[(int)((uint)StringComparer.Ordinal.GetHashCode(e.ShopperId) % (uint)senders)].Add(e);
        }

        var chunks = lanes.Select(l => l.Chunk(size).Select(c => c.ToList()).ToList()).ToList();
        var batches = new List<List<StorefrontEvent>>();
        for (var i = 0; chunks.Any(c => i < c.Count); i++)
        {
            foreach (var lane in chunks)
            {
                batches.Add(i < lane.Count ? lane[i] : []);
            }
        }

        return batches;
    }

    /// <summary>
    /// Sends <see cref="InLanes"/> batches with <paramref name="senders"/> senders at once, each its
    /// own batches in order (<paramref name="send"/> gets the batch's index and must not return
    /// before the batch is accepted); empty batches are skipped.
    /// </summary>
    public static Task SendInOrderAsync(List<List<StorefrontEvent>> batches, int senders, Func<int, List<StorefrontEvent>, Task> send) =>
        Parallel.ForEachAsync(Enumerable.Range(0, senders), new ParallelOptions { MaxDegreeOfParallelism = senders }, async (sender, _) =>
        {
            for (var i = sender; i < batches.Count; i += senders)
            {
                if (batches[i].Count > 0)
                {
                    await send(i, batches[i]);
                }
            }
        });

    /// <summary>Batches as JSON bodies for POST /v1/events.</summary>
    public static string Body(List<StorefrontEvent> batch) => JsonSerializer.Serialize(batch, GrainsJsonContext.Default.ListStorefrontEvent);
}
