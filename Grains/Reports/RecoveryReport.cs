using System.Text.Json.Serialization;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Reports;

namespace CartRecovery.Grains.Reports;

/// <summary>Conversion of at-risk carts in one group (treatment or control).</summary>
public sealed class GroupOutcome
{
    [JsonPropertyName("at_risk")] public int AtRisk { get; set; }

    [JsonPropertyName("converted")] public int Converted { get; set; }

    [JsonPropertyName("rate")] public double Rate { get; set; }
}

/// <summary>
/// Recovered revenue and the honest uplift: at-risk carts (those that went idle) of shoppers in the
/// treatment group against those of the control group, which is never nudged.
/// </summary>
public sealed class RecoveryReport
{
    [JsonPropertyName("from")] public DateTimeOffset? From { get; set; }

    [JsonPropertyName("to")] public DateTimeOffset? To { get; set; }

    [JsonPropertyName("carts_created")] public int CartsCreated { get; set; }

    /// <summary>Carts in stage active now.</summary>
    [JsonPropertyName("active_carts")] public int ActiveCarts { get; set; }

    /// <summary>Carts idle or abandoned now, not yet nudged or converted.</summary>
    [JsonPropertyName("carts_at_risk")] public int CartsAtRisk { get; set; }

    [JsonPropertyName("carts_abandoned")] public int CartsAbandoned { get; set; }

    [JsonPropertyName("carts_nudged")] public int CartsNudged { get; set; }

    [JsonPropertyName("carts_recovered")] public int CartsRecovered { get; set; }

    [JsonPropertyName("carts_purchased_directly")] public int CartsPurchasedDirectly { get; set; }

    [JsonPropertyName("carts_expired")] public int CartsExpired { get; set; }

    [JsonPropertyName("nudges_sent")] public int NudgesSent { get; set; }

    [JsonPropertyName("nudges_shown")] public int NudgesShown { get; set; }

    [JsonPropertyName("nudges_clicked")] public int NudgesClicked { get; set; }

    [JsonPropertyName("treatment")] public GroupOutcome Treatment { get; set; } = new();

    [JsonPropertyName("control")] public GroupOutcome Control { get; set; } = new();

    /// <summary>Treatment rate minus control rate.</summary>
    [JsonPropertyName("uplift")] public double Uplift { get; set; }

    /// <summary>95% confidence interval of the uplift (normal approximation of a difference of proportions).</summary>
    [JsonPropertyName("uplift_ci95")] public double[] UpliftCi95 { get; set; } = [0, 0];

    [JsonPropertyName("recovered_revenue")] public double RecoveredRevenue { get; set; }

    [JsonPropertyName("recovered_revenue_by_day")] public SortedDictionary<string, double> RecoveredRevenueByDay { get; set; } = new();

    /// <summary>The report over every cart given (a full scan), carts filtered by their creation time.</summary>
    public static RecoveryReport Compute(IEnumerable<CartState> carts, DateTimeOffset? from, DateTimeOffset? to)
    {
        var totals = new ReportTotals();
        foreach (var c in carts)
        {
            if ((from is { } f && c.CreatedAt < f) || (to is { } t && c.CreatedAt >= t))
            {
                continue;
            }

            totals.Add(ReportContribution.Of(c));
        }

        return FromTotals(totals, from, to);
    }

    /// <summary>The report of summed contributions (the running totals of the days asked for).</summary>
    public static RecoveryReport FromTotals(ReportTotals t, DateTimeOffset? from, DateTimeOffset? to)
    {
        var r = new RecoveryReport
        {
            From = from,
            To = to,
            CartsCreated = (int)t.CartsCreated,
            ActiveCarts = (int)t.ActiveCarts,
            CartsAtRisk = (int)t.CartsAtRisk,
            CartsAbandoned = (int)t.CartsAbandoned,
            CartsNudged = (int)t.CartsNudged,
            CartsRecovered = (int)t.CartsRecovered,
            CartsPurchasedDirectly = (int)t.CartsPurchasedDirectly,
            CartsExpired = (int)t.CartsExpired,
            NudgesSent = (int)t.NudgesSent,
            NudgesShown = (int)t.NudgesShown,
            NudgesClicked = (int)t.NudgesClicked,
            Treatment = new GroupOutcome { AtRisk = (int)t.TreatmentAtRisk, Converted = (int)t.TreatmentConverted },
            Control = new GroupOutcome { AtRisk = (int)t.ControlAtRisk, Converted = (int)t.ControlConverted },
            RecoveredRevenue = t.RecoveredRevenueCents / 100.0,
        };
        foreach (var (day, cents) in t.RecoveredCentsByDay)
        {
            r.RecoveredRevenueByDay[day] = cents / 100.0;
        }

        var (pt, vt) = RateAndVariance(r.Treatment);
        var (pc, vc) = RateAndVariance(r.Control);
        r.Treatment.Rate = Math.Round(pt, 6);
        r.Control.Rate = Math.Round(pc, 6);
        var uplift = pt - pc;
        var half = 1.96 * Math.Sqrt(vt + vc);
        r.Uplift = Math.Round(uplift, 6);
        r.UpliftCi95 = [Math.Round(uplift - half, 6), Math.Round(uplift + half, 6)];
        return r;
    }

    /// <summary>The conversion rate p and the variance of its estimate, p(1-p)/n (0 for an empty group).</summary>
    private static (double Rate, double Variance) RateAndVariance(GroupOutcome g)
    {
        if (g.AtRisk == 0)
        {
            return (0, 0);
        }

        var p = (double)g.Converted / g.AtRisk;
        return (p, p * (1 - p) / g.AtRisk);
    }

    /// <summary>The report from a full scan of the stored carts (cost grows with the carts; see <see cref="RecoveryReports"/> for the running totals).</summary>
    public static async Task<RecoveryReport> FromSourceAsync(ICartStateSource source, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        var totals = new ReportTotals();
        await foreach (var cart in source.ReadAllAsync(cancellationToken))
        {
            if ((from is { } f && cart.CreatedAt < f) || (to is { } t && cart.CreatedAt >= t))
            {
                continue;
            }

            totals.Add(ReportContribution.Of(cart));
        }

        return FromTotals(totals, from, to);
    }
}
