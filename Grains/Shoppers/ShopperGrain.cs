using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Shoppers;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Policy;
using CartRecovery.Runtime;

namespace CartRecovery.Grains.Shoppers;

/// <summary>
/// The shopper: deduplication of client retries, identity, consent, connection, frequency cap
/// and on-site nudges waiting for a browser. Calls no other grain.
/// </summary>
public sealed class ShopperGrain([PersistentState("shopper")] IPersistentState<ShopperState> state, PolicyCache policy) : Grain, IShopperGrain
{
    private const int RecentEventIds = 512;
    private HashSet<string>? _recent;
    private int _connections;

    private ShopperState S => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        S.ShopperId = Key;
        _recent = new HashSet<string>(S.RecentEventIds, StringComparer.Ordinal);

        // Connections live in the gateway; after a restart the browser reconnects and says so again.
        S.Connected = false;
        return Task.CompletedTask;
    }

    public Task<ShopperDecision> Apply(StorefrontEvent e, long offset)
    {
        // A replay of an offset this grain already holds: its effects are here, let the others decide.
        var replay = offset >= 0 && offset <= S.LastOffset;
        if (!replay && _recent!.Contains(e.EventId))
        {
            return Task.FromResult(new ShopperDecision { Duplicate = true });
        }

        if (!replay)
        {
            Remember(e.EventId);
            Update(e);
            if (offset >= 0)
            {
                S.LastOffset = offset;
            }

            state.MarkDirty();
        }

        return Task.FromResult(new ShopperDecision
        {
            CartId = CartIdFor(e),
            Returning = S.Sessions.Count > 1 || S.Purchases > 0,
            PastPurchases = S.Purchases,
            PastNudgeClicks = S.NudgesClicked,
        });
    }

    private void Remember(string eventId)
    {
        _recent!.Add(eventId);
        S.RecentEventIds.Add(eventId);
        if (S.RecentEventIds.Count > RecentEventIds)
        {
            _recent.Remove(S.RecentEventIds[0]);
            S.RecentEventIds.RemoveAt(0);
        }
    }

    private void Update(StorefrontEvent e)
    {
        S.FirstSeenAt = S.FirstSeenAt is { } first && first <= e.OccurredAt ? first : e.OccurredAt;
        if (S.LastSeenAt is null || e.OccurredAt > S.LastSeenAt)
        {
            S.LastSeenAt = e.OccurredAt;
            S.ActiveSessionId = e.SessionId;
        }

        if (!S.Sessions.Contains(e.SessionId))
        {
            S.Sessions.Add(e.SessionId);
            if (S.Sessions.Count > 50)
            {
                S.Sessions.RemoveAt(0);
            }
        }

        switch (e.Type)
        {
            case EventTypes.Identify:
                S.CustomerId = e.Customer?.Id ?? S.CustomerId;
                S.Email = e.Customer?.Email ?? S.Email;
                break;
            case EventTypes.Consent:
                S.MarketingConsent = e.Consent!.Marketing;
                break;
            case EventTypes.AddToCart or EventTypes.RemoveFromCart or EventTypes.CartUpdate or EventTypes.CheckoutStarted or EventTypes.CheckoutStep:
                S.ActiveCartId = CartIdFor(e);
                S.LastCartActivityAt = Max(S.LastCartActivityAt, e.OccurredAt);
                break;
            case EventTypes.Purchase:
                S.Purchases++;
                S.PurchaseValue += e.Order!.Total;
                if (e.CartId is null || e.CartId == S.ActiveCartId)
                {
                    S.ActiveCartId = null;
                }

                break;
            case EventTypes.NudgeShown:
                S.NudgesShown++;
                S.PendingNudges.RemoveAll(n => n.NudgeId == e.Nudge!.NudgeId);
                break;
            case EventTypes.NudgeClicked:
                S.NudgesClicked++;
                S.PendingNudges.RemoveAll(n => n.NudgeId == e.Nudge!.NudgeId);
                break;
            case EventTypes.NudgeDismissed:
                S.NudgesDismissed++;
                S.PendingNudges.RemoveAll(n => n.NudgeId == e.Nudge!.NudgeId);
                break;
        }
    }

    /// <summary>
    /// The cart an event belongs to: its own cart_id, else the shopper's active cart while it is
    /// fresh, else a new cart named after the session.
    /// </summary>
    private string CartIdFor(StorefrontEvent e)
    {
        if (e.CartId is { Length: > 0 } explicitId)
        {
            return explicitId;
        }

        var expire = TimeSpan.FromHours(policy.Current.ExpireAfterHours);
        if (S.ActiveCartId is { } active && S.LastCartActivityAt is { } last && e.OccurredAt - last < expire)
        {
            return active;
        }

        return SessionCartId(e.SessionId);
    }

    /// <summary>The cart a shopper opens when a session's cart event names none and no fresh cart is active.</summary>
    internal static string SessionCartId(string sessionId) => "c-" + sessionId;

    private static DateTimeOffset Max(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;

    public Task<NudgePermit> RequestNudge(NudgeRequest request)
    {
        var now = Time.GetUtcNow();
        S.NudgeTimes.RemoveAll(t => now - t > TimeSpan.FromDays(1));
        if (S.NudgeTimes.Count >= request.FrequencyCapPerDay)
        {
            return Task.FromResult(new NudgePermit { Reason = $"frequency cap: {S.NudgeTimes.Count} nudges in the last 24 h" });
        }

        string channel;
        if (S.Connected)
        {
            channel = NudgeChannels.OnSite;
        }
        else if (request.Stage == "onsite")
        {
            return Task.FromResult(new NudgePermit { Reason = "shopper not connected for an on-site nudge" });
        }
        else if (!request.OffsiteAvailable)
        {
            return Task.FromResult(new NudgePermit { Reason = "shopper not connected and no off-site channel configured" });
        }
        else if (request.RequireConsentOffsite && S.MarketingConsent != true)
        {
            return Task.FromResult(new NudgePermit { Reason = "no marketing consent for an off-site nudge" });
        }
        else if (!request.OffsiteAllowedNow)
        {
            return Task.FromResult(new NudgePermit { Reason = "quiet hours" });
        }
        else
        {
            channel = NudgeChannels.Webhook;
        }

        S.NudgeTimes.Add(now);
        if (channel == NudgeChannels.OnSite && S.PendingNudges.All(n => n.NudgeId != request.Nudge.NudgeId))
        {
            S.PendingNudges.Add(request.Nudge);
            if (S.PendingNudges.Count > 5)
            {
                S.PendingNudges.RemoveAt(0);
            }
        }

        state.MarkDirty();
        return Task.FromResult(new NudgePermit { Allowed = true, Channel = channel, Reason = "allowed", Email = S.Email });
    }

    public Task<List<NudgeMessage>> Connect()
    {
        _connections++;
        S.Connected = true;
        KeepAlive(true);
        S.LastConnectedAt = Time.GetUtcNow();
        state.MarkDirty();
        return Task.FromResult(S.PendingNudges.ToList());
    }

    public Task Disconnect()
    {
        _connections = Math.Max(0, _connections - 1);
        S.Connected = _connections > 0;
        KeepAlive(S.Connected);
        state.MarkDirty();
        return Task.CompletedTask;
    }

    public Task<ShopperState> Get() => Task.FromResult(Snapshots.Copy(S));
}
