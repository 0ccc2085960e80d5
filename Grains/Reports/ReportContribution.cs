using System.Globalization;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Reports;

namespace CartRecovery.Grains.Reports;

/// <summary>What one cart adds to the recovery report, the one definition the full scan and the running totals share.</summary>
public static class ReportContribution
{
    /// <summary>The cart's contribution, or null for a cart that has seen no event yet.</summary>
    public static ReportTotals? Of(CartState c)
    {
        if (c.CreatedAt == default)
        {
            return null;
        }

        var t = new ReportTotals { CartsCreated = 1 };

        // At risk: the cart went idle (or abandoned). Converted: purchased after that, or recovered.
        if ((c.IdleAt ?? c.AbandonedAt) is { } riskAt)
        {
            t.CartsAbandoned = 1;
            var converted = (c.PurchasedAt is { } bought && bought >= riskAt) || c.Stage == CartStages.Recovered ? 1 : 0;
            if (c.Group == "control")
            {
                t.ControlAtRisk = 1;
                t.ControlConverted = converted;
            }
            else
            {
                t.TreatmentAtRisk = 1;
                t.TreatmentConverted = converted;
            }
        }

        t.CartsNudged = c.NudgedAt is not null ? 1 : 0;
        t.NudgesSent = c.Nudges.Count;
        t.NudgesShown = c.Nudges.Count(n => n.ShownAt is not null);
        t.NudgesClicked = c.Nudges.Count(n => n.ClickedAt is not null);
        switch (c.Stage)
        {
            case CartStages.Active:
                t.ActiveCarts = 1;
                break;
            case CartStages.Idle or CartStages.Abandoned:
                t.CartsAtRisk = 1;
                break;
            case CartStages.Recovered:
                t.CartsRecovered = 1;
                t.RecoveredRevenueCents = Cents(c.Revenue);
                if (t.RecoveredRevenueCents != 0)
                {
                    t.RecoveredCentsByDay[DayOf(c.PurchasedAt!.Value)] = t.RecoveredRevenueCents;
                }

                break;
            case CartStages.Purchased:
                t.CartsPurchasedDirectly = 1;
                break;
            case CartStages.Expired:
                t.CartsExpired = 1;
                break;
        }

        return t;
    }

    /// <summary>The key of the day grain a cart reports to: its creation day (UTC).</summary>
    public static string Day(CartState c) => DayOf(c.CreatedAt);

    public static string DayOf(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static long Cents(double amount) => (long)Math.Round(amount * 100, MidpointRounding.AwayFromZero);
}
