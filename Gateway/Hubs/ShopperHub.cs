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
public sealed class ShopperHub(EventIngestor ingestor, IGrainClient grains, GatewayMetrics metrics, ShopperRateLimiter limiter, LimitsOptions limits) : Hub
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

    public Task<IngestResult> Track(StorefrontEvent e) => TrackBatch([e]);

    public async Task<IngestResult> TrackBatch(List<StorefrontEvent> events)
    {
        if (events.Count > EventValidator.MaxBatch)
        {
            throw new HubException($"events: a batch holds at most {EventValidator.MaxBatch} events");
        }

        if (!limiter.TryAcquire(ShopperId, events.Count))
        {
            var violations = Context.Items.TryGetValue("violations", out var v) ? (int)v! + 1 : 1;
            Context.Items["violations"] = violations;
            if (violations >= limits.HubViolationsBeforeDisconnect)
            {
                Context.Abort();
            }

            throw new HubException("rate limit: too many events for this shopper; slow down");
        }

        var result = new IngestResult { Received = events.Count };
        var own = new List<StorefrontEvent>(events.Count);
        var indexOf = new List<int>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i] is null)
            {
                result.Rejected.Add(new EventError(i, "event", "must be a JSON object"));
            }
            else if (events[i].ShopperId != ShopperId)
            {
                result.Rejected.Add(new EventError(i, "shopper_id", "does not match the shopper of this connection"));
            }
            else
            {
                own.Add(events[i]);
                indexOf.Add(i);
            }
        }

        var applied = await ingestor.IngestAsync(own, "hub", Context.ConnectionAborted);
        result.Accepted = applied.Accepted;
        result.Rejected.AddRange(applied.Rejected.Select(r => r with { Index = indexOf[r.Index] }));
        result.Rejected.Sort((a, b) => a.Index.CompareTo(b.Index));
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
