using System.Threading.RateLimiting;
using CartRecovery.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace CartRecovery.Gateway.Security;

/// <summary>
/// The gateway's limits per shopper, per client address and per user name (<see cref="LimitsOptions"/>),
/// each a partitioned limiter of System.Threading.RateLimiting. A partition exists while its key is
/// in use: the partitioned limiter drops one that has been idle (a full bucket, no connection) for
/// 10 s, so memory follows active keys only. Buckets refill from the partitioned limiter's one
/// shared timer (every 100 ms), never from a timer of their own.
/// </summary>
public sealed class ClientLimits : IDisposable
{
    private readonly int _eventBurst;
    private readonly PartitionedRateLimiter<string> _events;
    private readonly PartitionedRateLimiter<string> _visitorTokens;
    private readonly PartitionedRateLimiter<string> _loginsPerUser;
    private readonly PartitionedRateLimiter<string> _loginsPerIp;
    private readonly PartitionedRateLimiter<string> _hubPerShopper;
    private readonly PartitionedRateLimiter<string> _hubPerIp;
    private readonly ConcurrencyLimiter _ingest;

    public ClientLimits(IOptions<LimitsOptions> options)
    {
        var limits = options.Value;
        _eventBurst = limits.EventsPerShopperPerSecond * 10;
        _events = Buckets(limits.EventsPerShopperPerSecond, TimeSpan.FromSeconds(1), _eventBurst);
        _visitorTokens = Buckets(limits.VisitorTokensPerIpPerMinute, TimeSpan.FromMinutes(1), limits.VisitorTokensPerIpPerMinute);
        _loginsPerUser = Buckets(limits.LoginAttemptsPerUserPerMinute, TimeSpan.FromMinutes(1), limits.LoginAttemptsPerUserPerMinute);
        _loginsPerIp = Buckets(limits.LoginAttemptsPerIpPerMinute, TimeSpan.FromMinutes(1), limits.LoginAttemptsPerIpPerMinute);
        _hubPerShopper = Concurrency(limits.HubConnectionsPerShopper);
        _hubPerIp = Concurrency(limits.HubConnectionsPerIp);
        _ingest = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = limits.IngestConcurrency,
            QueueLimit = limits.IngestQueue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>
    /// A place among the event batches applied at once (<see cref="LimitsOptions.IngestConcurrency"/>),
    /// waited for in arrival order; not acquired when the line is full. Dispose the lease when the
    /// batch is answered.
    /// </summary>
    public ValueTask<RateLimitLease> EnterIngestAsync(CancellationToken cancellationToken) => _ingest.AcquireAsync(1, cancellationToken);

    /// <summary>Events a shopper may send at once (ten seconds' worth).</summary>
    public int EventBurst => _eventBurst;

    /// <summary>
    /// Takes <paramref name="events"/> from the shopper's budget (its browser over HTTP and the hub
    /// together): every event costs one, and a batch larger than the burst never passes (and takes nothing).
    /// </summary>
    public bool TryEvents(string shopperId, int events) =>
        events <= _eventBurst && Acquired(_events.AttemptAcquire(shopperId, Math.Max(1, events)), out _);

    /// <summary>One new anonymous visitor id for a client address.</summary>
    public bool TryVisitorToken(string client, out TimeSpan retryAfter) =>
        Acquired(_visitorTokens.AttemptAcquire(client), out retryAfter);

    /// <summary>One login attempt: both the address's and the user name's budgets must allow it.</summary>
    public bool TryLogin(string client, string user, out TimeSpan retryAfter) =>
        Acquired(_loginsPerIp.AttemptAcquire(client), out retryAfter) && Acquired(_loginsPerUser.AttemptAcquire(user), out retryAfter);

    /// <summary>
    /// A place for one shopper hub connection, held until the returned lease is disposed; null when
    /// the shopper or the address has as many as allowed.
    /// </summary>
    public IDisposable? TryOpenHubConnection(string shopperId, string client)
    {
        var perShopper = _hubPerShopper.AttemptAcquire(shopperId);
        if (!perShopper.IsAcquired)
        {
            perShopper.Dispose();
            return null;
        }

        var perIp = _hubPerIp.AttemptAcquire(client);
        if (!perIp.IsAcquired)
        {
            perIp.Dispose();
            perShopper.Dispose();
            return null;
        }

        return new Leases(perShopper, perIp);
    }

    public void Dispose()
    {
        foreach (var limiter in new[] { _events, _visitorTokens, _loginsPerUser, _loginsPerIp, _hubPerShopper, _hubPerIp })
        {
            limiter.Dispose();
        }

        _ingest.Dispose();
    }

    private static bool Acquired(RateLimitLease lease, out TimeSpan retryAfter)
    {
        using (lease)
        {
            retryAfter = !lease.IsAcquired && lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
            return lease.IsAcquired;
        }
    }

    /// <summary>
    /// Token buckets refilled smoothly: <paramref name="rate"/> per <paramref name="per"/>, one
    /// share per tick (no shorter than the shared timer's 100 ms).
    /// </summary>
    private static PartitionedRateLimiter<string> Buckets(int rate, TimeSpan per, int capacity)
    {
        var ticks = Math.Max(1, Math.Min(rate, (int)(per / TimeSpan.FromMilliseconds(100))));
        var options = new TokenBucketRateLimiterOptions
        {
            TokenLimit = capacity,
            TokensPerPeriod = (int)Math.Ceiling((double)rate / ticks),
            ReplenishmentPeriod = per / ticks,
            QueueLimit = 0,
            AutoReplenishment = false,
        };
        return PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => options), StringComparer.Ordinal);
    }

    private static PartitionedRateLimiter<string> Concurrency(int permits)
    {
        var options = new ConcurrencyLimiterOptions { PermitLimit = permits, QueueLimit = 0 };
        return PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetConcurrencyLimiter(key, _ => options), StringComparer.Ordinal);
    }

    private sealed class Leases(RateLimitLease perShopper, RateLimitLease perIp) : IDisposable
    {
        public void Dispose()
        {
            perIp.Dispose();
            perShopper.Dispose();
        }
    }
}
