using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Sessions;

namespace CartRecovery.Grains.Shoppers;

/// <summary>
/// Online features of the shopper's recent sessions, for scoring. Every update is order-independent
/// (counts, min/max times), so late events land correctly without replaying the session. They are
/// part of the shopper's state: a batch's events, their deduplication ids and the session features
/// they change are written together.
/// </summary>
public sealed partial class ShopperGrain
{
    /// <summary>Sessions whose features the shopper keeps (the least recently active is dropped first).</summary>
    internal const int MaxSessionFeatures = 10;

    private const int MaxDistinctProducts = 200;

    public Task<SessionState?> GetSession(string sessionId) => Task.FromResult(FindSession(sessionId));

    private SessionState? FindSession(string sessionId)
    {
        foreach (var session in S.SessionFeatures)
        {
            if (session.SessionId == sessionId)
            {
                return session;
            }
        }

        return null;
    }

    private SessionState SessionOf(StorefrontEvent e)
    {
        if (FindSession(e.SessionId) is { } known)
        {
            return known;
        }

        var session = new SessionState { ShopperId = S.ShopperId, SessionId = e.SessionId };
        S.SessionFeatures.Add(session);
        if (S.SessionFeatures.Count > MaxSessionFeatures)
        {
            var oldest = 0;
            for (var i = 1; i < S.SessionFeatures.Count; i++)
            {
                if (S.SessionFeatures[i].LastEventAt < S.SessionFeatures[oldest].LastEventAt)
                {
                    oldest = i;
                }
            }

            S.SessionFeatures.RemoveAt(oldest);
        }

        return session;
    }

    /// <summary>What the shopper knows about itself, as its sessions' features show it.</summary>
    private void DescribeShopper(SessionState session)
    {
        session.Returning = S.Sessions.Count > 1 || S.Purchases > 0;
        session.PastPurchases = S.Purchases;
        session.PastNudgeClicks = S.NudgesClicked;
    }

    internal static void ApplyToSession(SessionState s, StorefrontEvent e)
    {
        s.Events++;
        s.StartedAt = s.StartedAt is { } start && start <= e.OccurredAt ? start : e.OccurredAt;
        s.LastEventAt = s.LastEventAt is { } last && last >= e.OccurredAt ? last : e.OccurredAt;
        s.Device = e.Device ?? s.Device;
        switch (e.Type)
        {
            case EventTypes.PageView:
                s.PageViews++;
                if (e.Page?.Url is { } url && url.Contains("/cart", StringComparison.OrdinalIgnoreCase))
                {
                    s.CartViews++;
                }

                break;
            case EventTypes.ProductView:
                s.ProductViews++;
                s.ViewedValue += e.Item!.Price;
                if (s.DistinctProducts.Count < MaxDistinctProducts && !s.DistinctProducts.Contains(e.Item.Sku))
                {
                    s.DistinctProducts.Add(e.Item.Sku);
                }

                break;
            case EventTypes.AddToCart:
                s.CartAdds++;
                break;
            case EventTypes.RemoveFromCart:
                s.CartRemovals++;
                break;
            case EventTypes.CheckoutStarted:
                s.CheckoutProgress = Math.Max(s.CheckoutProgress, 1);
                break;
            case EventTypes.CheckoutStep:
                s.CheckoutProgress = Math.Max(s.CheckoutProgress, 2);
                break;
            case EventTypes.Purchase:
                s.Purchased = true;
                s.CheckoutProgress = 3;
                break;
            case EventTypes.NudgeClicked or EventTypes.NudgeDismissed or EventTypes.NudgeShown:
                s.NudgeResponses++;
                break;
        }
    }
}
