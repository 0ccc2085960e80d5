using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Shoppers;

namespace CartRecovery.Grains.Shoppers;

/// <summary>The shopper's rules: what an event changes, and whether a nudge may go out now.</summary>
public sealed partial class ShopperGrain
{
    /// <summary>Session ids a shopper remembers (the oldest is forgotten first).</summary>
    internal const int MaxSessions = 50;

    /// <summary>On-site nudges waiting for a browser (the oldest is dropped first; its cart's ledger keeps it).</summary>
    internal const int MaxPendingNudges = 5;

    /// <summary>Nudge times kept for the frequency cap: the highest cap a policy may set.</summary>
    internal const int MaxNudgeTimes = 100;

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
            if (S.Sessions.Count > MaxSessions)
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

    private static DateTimeOffset Max(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;

    private NudgePermit Decide(NudgeRequest request)
    {
        var now = clock.Now;
        S.NudgeTimes.RemoveAll(t => now - t > TimeSpan.FromDays(1));
        if (S.NudgeTimes.Count >= request.FrequencyCapPerDay)
        {
            return new NudgePermit { Reason = $"frequency cap: {S.NudgeTimes.Count} nudges in the last 24 h" };
        }

        string channel;
        if (S.Connected)
        {
            channel = NudgeChannels.OnSite;
        }
        else if (request.Stage == "onsite")
        {
            return new NudgePermit { Reason = "shopper not connected for an on-site nudge" };
        }
        else if (!request.OffsiteAvailable)
        {
            return new NudgePermit { Reason = "shopper not connected and no off-site channel configured" };
        }
        else if (request.RequireConsentOffsite && S.MarketingConsent != true)
        {
            return new NudgePermit { Reason = "no marketing consent for an off-site nudge" };
        }
        else if (!request.OffsiteAllowedNow)
        {
            return new NudgePermit { Reason = "quiet hours" };
        }
        else
        {
            channel = NudgeChannels.Webhook;
        }

        S.NudgeTimes.Add(now);
        if (S.NudgeTimes.Count > MaxNudgeTimes)
        {
            S.NudgeTimes.RemoveRange(0, S.NudgeTimes.Count - MaxNudgeTimes);
        }
        if (channel == NudgeChannels.OnSite && S.PendingNudges.All(n => n.NudgeId != request.Nudge.NudgeId))
        {
            S.PendingNudges.Add(request.Nudge);
            if (S.PendingNudges.Count > MaxPendingNudges)
            {
                S.PendingNudges.RemoveAt(0);
            }
        }

        return new NudgePermit { Allowed = true, Channel = channel, Reason = "allowed", Email = S.Email };
    }
}
