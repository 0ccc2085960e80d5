using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Sessions;
using CartRecovery.Grains.Abstractions.Shoppers;
using CartRecovery.Grains.Common;

namespace CartRecovery.Grains.Sessions;

/// <summary>
/// Online features of a session. Every update is order-independent (counts, min/max times), so
/// late events land correctly without replaying the session. Calls no other grain.
/// </summary>
[GrainType("session")]
public sealed class SessionGrain([PersistentState("session")] IPersistentState<SessionState> state) : Grain, ISessionGrain
{
    private const int MaxDistinctProducts = 200;

    /// <summary>Event ids remembered, so a batch retried after its shopper failed to commit counts nothing twice.</summary>
    private const int RecentEventIds = 256;

    private readonly SerialStateWriter<SessionState> _writer = new(state);

    private SessionState S => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.IndexOf('/');
        S.ShopperId = key[..slash];
        S.SessionId = key[(slash + 1)..];
        return Task.CompletedTask;
    }

    public async Task Apply(EventBatch batch, ShopperDecision shopper)
    {
        var changed = false;
        foreach (var e in batch.Events)
        {
            if (S.RecentEventIds.Contains(e.EventId))
            {
                continue;
            }

            S.RecentEventIds.Add(e.EventId);
            if (S.RecentEventIds.Count > RecentEventIds)
            {
                S.RecentEventIds.RemoveAt(0);
            }

            ApplyOne(e);
            changed = true;
        }

        if (!changed)
        {
            return;
        }

        S.Returning = shopper.Returning;
        S.PastPurchases = shopper.PastPurchases;
        S.PastNudgeClicks = shopper.PastNudgeClicks;
        try
        {
            await _writer.SaveAsync();
        }
        catch
        {
            this.DeactivateOnIdle();
            throw;
        }
    }

    private void ApplyOne(StorefrontEvent e)
    {
        S.Events++;
        S.StartedAt = S.StartedAt is { } start && start <= e.OccurredAt ? start : e.OccurredAt;
        S.LastEventAt = S.LastEventAt is { } last && last >= e.OccurredAt ? last : e.OccurredAt;
        S.Device = e.Device ?? S.Device;
        switch (e.Type)
        {
            case EventTypes.PageView:
                S.PageViews++;
                if (e.Page?.Url is { } url && url.Contains("/cart", StringComparison.OrdinalIgnoreCase))
                {
                    S.CartViews++;
                }

                break;
            case EventTypes.ProductView:
                S.ProductViews++;
                S.ViewedValue += e.Item!.Price;
                if (S.DistinctProducts.Count < MaxDistinctProducts && !S.DistinctProducts.Contains(e.Item.Sku))
                {
                    S.DistinctProducts.Add(e.Item.Sku);
                }

                break;
            case EventTypes.AddToCart:
                S.CartAdds++;
                break;
            case EventTypes.RemoveFromCart:
                S.CartRemovals++;
                break;
            case EventTypes.CheckoutStarted:
                S.CheckoutProgress = Math.Max(S.CheckoutProgress, 1);
                break;
            case EventTypes.CheckoutStep:
                S.CheckoutProgress = Math.Max(S.CheckoutProgress, 2);
                break;
            case EventTypes.Purchase:
                S.Purchased = true;
                S.CheckoutProgress = 3;
                break;
            case EventTypes.NudgeClicked or EventTypes.NudgeDismissed or EventTypes.NudgeShown:
                S.NudgeResponses++;
                break;
        }
    }

    public Task<SessionState> Get() => Task.FromResult(S);
}
