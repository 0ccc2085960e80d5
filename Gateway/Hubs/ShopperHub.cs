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
using Microsoft.Extensions.Logging;

namespace CartRecovery.Gateway.Hubs;

/// <summary>
/// The storefront hub. A connection is registered only under the shopper its token names
/// (<see cref="ShopperConnections"/>), so no client can receive another shopper's nudges whatever it
/// sends; events it sends must be for that shopper too. Pending nudges are re-sent on connect.
/// </summary>
[Authorize(Policy = Policies.Shopper)]
public sealed class ShopperHub(EventIngestor ingestor, EventValidator validator, IGrainClient grains, GatewayMetrics metrics, ShopperRateLimiter limiter, LimitsOptions limits,
    ShopperConnections connections, ILogger<ShopperHub> log) : Hub
{
    public const string Path = "/hubs/shopper";
    public const string NudgeMethod = "nudge";

    /// <summary>What a call whose arguments did not bind becomes (<see cref="UnboundCallProtocol"/>).</summary>
    public const string UnboundCallMethod = "unbound-call";

    private const string ViolationsKey = "violations";

    private string ShopperId => Context.User!.FindFirst(TokenService.ShopperClaim)!.Value;

    public override async Task OnConnectedAsync()
    {
        var shopperId = ShopperId;
        metrics.Connected("shopper");
        connections.Add(shopperId, Context.ConnectionId);
        var connected = false;
        try
        {
            var pending = await grains.ConnectAsync(shopperId, Context.ConnectionAborted);
            connected = true;
            foreach (var nudge in pending)
            {
                await Clients.Caller.SendAsync(NudgeMethod, nudge, Context.ConnectionAborted);
            }
        }
        catch (Exception)
        {
            // SignalR does not call OnDisconnectedAsync after a failed OnConnectedAsync: undo here.
            await DisconnectedAsync(shopperId, connected);
            throw;
        }
    }

    public override Task OnDisconnectedAsync(Exception? exception) => DisconnectedAsync(ShopperId, grainConnected: true);

    private async Task DisconnectedAsync(string shopperId, bool grainConnected)
    {
        metrics.Disconnected("shopper");
        connections.Remove(shopperId, Context.ConnectionId);
        if (!grainConnected)
        {
            return;
        }

        try
        {
            await grains.DisconnectAsync(shopperId, CancellationToken.None);
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
            Violation();
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

    /// <summary>
    /// A call whose arguments did not bind to <paramref name="target"/> (wrong count or types, or no
    /// such method): refused, and counted like a rate-limit violation.
    /// </summary>
    [HubMethodName(UnboundCallMethod)]
    public Task Unbound(string target, string reason)
    {
        Violation();
        throw new HubException($"arguments: '{target}' cannot be called with these arguments: {reason}");
    }

    /// <summary>Counts a refused call; past the limit the connection is cut.</summary>
    private void Violation()
    {
        var violations = Context.Items.TryGetValue(ViolationsKey, out var v) ? (int)v! + 1 : 1;
        Context.Items[ViolationsKey] = violations;
        if (violations == limits.HubViolationsBeforeDisconnect)
        {
            log.LogWarning("Shopper hub connection {ConnectionId} of shopper {ShopperId} cut after {Violations} refused calls", Context.ConnectionId, ShopperId, violations);
        }

        if (violations >= limits.HubViolationsBeforeDisconnect)
        {
            Context.Abort();
        }
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
