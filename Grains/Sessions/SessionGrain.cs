using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Sessions;
using CartRecovery.Grains.Abstractions.Shoppers;
using CartRecovery.Grains.Json;
using CartRecovery.Runtime;

namespace CartRecovery.Grains.Sessions;

/// <summary>
/// Online features of a session. Every update is order-independent (counts, min/max times), so
/// late events land correctly without replaying the session.
/// </summary>
public sealed class SessionGrain([PersistentState("session")] IPersistentState<SessionState> state) : Grain, ISessionGrain
{
    private const int MaxDistinctProducts = 200;

    private SessionState S => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var slash = Key.IndexOf('/');
        S.ShopperId = Key[..slash];
        S.SessionId = Key[(slash + 1)..];
        return Task.CompletedTask;
    }

    public Task Apply(StorefrontEvent e, long offset, ShopperDecision shopper)
    {
        if (offset >= 0 && offset <= S.LastOffset)
        {
            return Task.CompletedTask;
        }

        S.LastOffset = Math.Max(S.LastOffset, offset);
        S.Events++;
        S.StartedAt = S.StartedAt is { } start && start <= e.OccurredAt ? start : e.OccurredAt;
        S.LastEventAt = S.LastEventAt is { } last && last >= e.OccurredAt ? last : e.OccurredAt;
        S.Device = e.Device ?? S.Device;
        S.Returning = shopper.Returning;
        S.PastPurchases = shopper.PastPurchases;
        S.PastNudgeClicks = shopper.PastNudgeClicks;
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

        state.MarkDirty();
        return Task.CompletedTask;
    }

    public Task<SessionState> Get() => Task.FromResult(Snapshots.Copy(S));
}
