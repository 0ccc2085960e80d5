using System.Text;
using System.Text.Json;
using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using CartRecovery.Gateway.Auth;
using CartRecovery.Gateway.Cluster;
using CartRecovery.Gateway.Hosting;
using CartRecovery.Gateway.Metrics;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Ingestion;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace CartRecovery.Gateway.Hubs;

/// <summary>
/// The storefront hub. A connection joins only the group of the shopper its token names, so no
/// client can receive another shopper's nudges whatever it sends; events it sends must be for that
/// shopper too. Pending nudges are re-sent on connect.
/// </summary>
[Authorize(Policy = Policies.Shopper)]
public sealed class ShopperHub(EventIngestor ingestor, EventValidator validator, IGrainClient grains, GatewayMetrics metrics, ShopperRateLimiter limiter, LimitsOptions limits) : Hub
{
    public const string Path = "/hubs/shopper";
    public const string NudgeMethod = "nudge";

    public static string Group(string shopperId) => "shopper:" + shopperId;

    private string ShopperId => Context.User!.FindFirst(TokenService.ShopperClaim)!.Value;

    public override async Task OnConnectedAsync()
    {
        metrics.Connected("shopper");
        await Groups.AddToGroupAsync(Context.ConnectionId, Group(ShopperId));
        var pending = await grains.ConnectAsync(ShopperId, Context.ConnectionAborted);
        foreach (var nudge in pending)
        {
            await Clients.Caller.SendAsync(NudgeMethod, nudge, Context.ConnectionAborted);
        }
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        metrics.Disconnected("shopper");
        try
        {
            await grains.DisconnectAsync(ShopperId, CancellationToken.None);
        }
        catch (Exception)
        {
            // Best effort: the shopper grain also treats connections as gone after a restart.
        }
    }

    /// <summary>One event; answered like POST /v1/events.</summary>
    public Task<IngestResult> Track(JsonElement e) => TrackBatch(e);

    /// <summary>
    /// A batch, validated event by event like POST /v1/events (a malformed event is refused by index
    /// and field; the others go ahead).
    /// </summary>
    public async Task<IngestResult> TrackBatch(JsonElement events)
    {
        var count = events.ValueKind == JsonValueKind.Array ? events.GetArrayLength() : 1;
        if (count > EventValidator.MaxBatch)
        {
            throw new HubException($"events: a batch holds at most {EventValidator.MaxBatch} events");
        }

        if (!limiter.TryAcquire(ShopperId, count))
        {
            var violations = Context.Items.TryGetValue("violations", out var v) ? (int)v! + 1 : 1;
            Context.Items["violations"] = violations;
            if (violations >= limits.HubViolationsBeforeDisconnect)
            {
                Context.Abort();
            }

            throw new HubException("rate limit: too many events for this shopper; slow down");
        }

        List<StorefrontEvent> valid;
        IngestResult result;
        try
        {
            (valid, result) = validator.ParseBatch(Encoding.UTF8.GetBytes(events.GetRawText()), ShopperId);
        }
        catch (BadBatchException e)
        {
            throw new HubException(e.Message);
        }

        await ingestor.PublishValidatedAsync(valid, result, "hub", Context.ConnectionAborted);
        return result;
    }
}

/// <summary>Token buckets per shopper, shared by HTTP ingestion and the hub; idle buckets are dropped.</summary>
public sealed class ShopperRateLimiter(LimitsOptions limits) : IDisposable
{
    private readonly ConcurrentDictionary<string, TokenBucketRateLimiter> _buckets = new();
    private long _lastSweep = Environment.TickCount64;

    public bool TryAcquire(string shopperId, int events)
    {
        Sweep();
        var bucket = _buckets.GetOrAdd(shopperId, _ => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.EventsPerShopperPerSecond * 10,
            TokensPerPeriod = limits.EventsPerShopperPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        using var lease = bucket.AttemptAcquire(Math.Max(1, Math.Min(events, limits.EventsPerShopperPerSecond * 10)));
        return lease.IsAcquired;
    }

    private void Sweep()
    {
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _lastSweep) < 60_000 || _buckets.Count < 10_000)
        {
            return;
        }

        Interlocked.Exchange(ref _lastSweep, now);
        foreach (var (key, bucket) in _buckets)
        {
            if (bucket.IdleDuration is { } idle && idle > TimeSpan.FromMinutes(5) && _buckets.TryRemove(key, out var removed))
            {
                removed.Dispose();
            }
        }
    }

    public void Dispose()
    {
        foreach (var bucket in _buckets.Values)
        {
            bucket.Dispose();
        }
    }
}
