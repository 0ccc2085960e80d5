using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Policy;

namespace CartRecovery.Grains.Carts;

/// <summary>The cart's lines, purchases and nudge responses.</summary>
public sealed partial class CartGrain
{
    private void Touch(DateTimeOffset at, string sessionId)
    {
        if (at >= S.LastActivityAt)
        {
            S.LastActivityAt = at;
            S.SessionId = sessionId;
        }

        // The shopper came back before a nudge: the cart is live again.
        if (S.Stage is CartStages.Idle or CartStages.Abandoned && at >= (S.IdleAt ?? S.AbandonedAt ?? at))
        {
            S.Stage = CartStages.Active;
        }
    }

    private void ApplyRecord(CartEventRecord r, CampaignPolicy p)
    {
        if (r.Type == EventTypes.Purchase)
        {
            ApplyPurchase(r, p);
        }
        else
        {
            CartFold.ApplyLines(S, r);
        }
    }

    /// <summary>
    /// A purchase containing the cart converts it: recovered when it follows a nudge within the
    /// attribution window, purchased otherwise. A purchase of none of the cart's items is not this cart's.
    /// </summary>
    private void ApplyPurchase(CartEventRecord r, CampaignPolicy p)
    {
        if (S.Stage is CartStages.Recovered or CartStages.Purchased or CartStages.Expired)
        {
            return;
        }

        var skus = r.Skus ?? [];
        if (skus.Count > 0 && S.Lines.Count > 0 && !skus.Any(s => S.Lines.Any(l => l.Sku == s)))
        {
            return;
        }

        S.PurchasedAt = r.At;
        S.OrderId = r.OrderId;
        S.Revenue = r.Total;
        var window = TimeSpan.FromHours(p.AttributionWindowHours);
        S.Stage = S.NudgedAt is { } nudged && r.At >= nudged && r.At - nudged <= window ? CartStages.Recovered : CartStages.Purchased;
        metrics.Transition(S.Stage);
    }

    /// <summary>
    /// Re-derives the cart from its base and the records it keeps, in time order. A record older
    /// than the base (it arrived after its neighbours were compacted) is applied after the base, as
    /// an adjustment: its effect counts, only its order among the compacted records is lost.
    /// </summary>
    private void Refold(CampaignPolicy p)
    {
        CartFold.LoadBase(S);

        // A conversion by a purchase that is still among the records is re-derived with them; one
        // whose record was compacted stays as it is.
        if (S.Stage is CartStages.Recovered or CartStages.Purchased
            && S.Events.Any(r => r.Type == EventTypes.Purchase && r.At == S.PurchasedAt && r.OrderId == S.OrderId))
        {
            S.Stage = S.NudgedAt is not null ? CartStages.Nudged : CartStages.Active;
            S.PurchasedAt = null;
            S.OrderId = null;
            S.Revenue = 0;
        }

        foreach (var r in S.Events)
        {
            ApplyRecord(r, p);
        }
    }

    private void Compact()
    {
        foreach (var id in CartFold.Compact(S))
        {
            _seen!.Remove(id);
        }
    }

    private bool RecordResponse(StorefrontEvent e)
    {
        var record = S.Nudges.FirstOrDefault(n => n.NudgeId == e.Nudge!.NudgeId);
        if (record is null)
        {
            return false;
        }

        switch (e.Type)
        {
            case EventTypes.NudgeShown when record.ShownAt is null:
                record.ShownAt = e.OccurredAt;
                record.DeliveredAt ??= e.OccurredAt;
                record.Outcome = "delivered";
                metrics.Nudge(record.Channel, "shown");
                return true;
            case EventTypes.NudgeClicked when record.ClickedAt is null:
                record.ClickedAt = e.OccurredAt;
                metrics.Nudge(record.Channel, "clicked");
                return true;
            case EventTypes.NudgeDismissed when record.DismissedAt is null:
                record.DismissedAt = e.OccurredAt;
                metrics.Nudge(record.Channel, "dismissed");
                return true;
            default:
                return false;
        }
    }
}
