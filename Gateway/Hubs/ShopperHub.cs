using System.Text;
using System.Text.Json;
using System.Collections.Concurrent;
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

/// <summary>
/// Token buckets per shopper, shared by HTTP ingestion and the hub. Buckets refill lazily when
/// used (no timer per shopper) and idle ones are swept, so memory follows active shoppers only.
/// </summary>
public sealed class ShopperRateLimiter(LimitsOptions limits)
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new();
    private long _lastSweep = Environment.TickCount64;

    private sealed class Bucket
    {
        public double Tokens;
        public long UpdatedAt;
    }

    public bool TryAcquire(string shopperId, int events)
    {
        var now = Environment.TickCount64;
        Sweep(now);
        var rate = limits.EventsPerShopperPerSecond;
        var capacity = rate * 10.0;
        var bucket = _buckets.GetOrAdd(shopperId, static (_, c) => new Bucket { Tokens = c.capacity, UpdatedAt = c.now }, (capacity, now));
        lock (bucket)
        {
            bucket.Tokens = Math.Min(capacity, bucket.Tokens + (now - bucket.UpdatedAt) / 1000.0 * rate);
            bucket.UpdatedAt = now;
            var cost = Math.Max(1, Math.Min(events, capacity));
            if (bucket.Tokens < cost)
            {
                return false;
            }

            bucket.Tokens -= cost;
            return true;
        }
    }

    private void Sweep(long now)
    {
        var last = Interlocked.Read(ref _lastSweep);
        if (now - last < 60_000 || Interlocked.CompareExchange(ref _lastSweep, now, last) != last)
        {
            return;
        }

        // A bucket idle for 10 s is full again (capacity is 10 s of rate): it carries no information.
        foreach (var (key, bucket) in _buckets)
        {
            if (now - Volatile.Read(ref bucket.UpdatedAt) > 10_000)
            {
                _buckets.TryRemove(key, out _);
            }
        }
    }
}
