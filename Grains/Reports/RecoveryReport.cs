using System.Text.Json;
using System.Text.Json.Serialization;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Json;
using CartRecovery.Runtime.Storage;

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

    public static RecoveryReport Compute(IEnumerable<CartState> carts, DateTimeOffset? from, DateTimeOffset? to)
    {
        var r = new RecoveryReport { From = from, To = to };
        foreach (var c in carts)
        {
            if ((from is { } f && c.CreatedAt < f) || (to is { } t && c.CreatedAt >= t))
            {
                continue;
            }

            r.CartsCreated++;
            var atRisk = c.IdleAt is not null || c.AbandonedAt is not null;
            var convertedAfterRisk = c.PurchasedAt is { } bought && atRisk && bought >= (c.IdleAt ?? c.AbandonedAt!.Value);
            if (atRisk)
            {
                r.CartsAbandoned++;
                var group = c.Group == "control" ? r.Control : r.Treatment;
                group.AtRisk++;
                if (convertedAfterRisk || c.Stage == CartStages.Recovered)
                {
                    group.Converted++;
                }
            }

            if (c.NudgedAt is not null)
            {
                r.CartsNudged++;
            }

            r.NudgesSent += c.Nudges.Count;
            r.NudgesShown += c.Nudges.Count(n => n.ShownAt is not null);
            r.NudgesClicked += c.Nudges.Count(n => n.ClickedAt is not null);
            switch (c.Stage)
            {
                case CartStages.Active:
                    r.ActiveCarts++;
                    break;
                case CartStages.Idle or CartStages.Abandoned:
                    r.CartsAtRisk++;
                    break;
                case CartStages.Recovered:
                    r.CartsRecovered++;
                    r.RecoveredRevenue += c.Revenue;
                    var day = c.PurchasedAt!.Value.UtcDateTime.ToString("yyyy-MM-dd");
                    r.RecoveredRevenueByDay[day] = Math.Round(r.RecoveredRevenueByDay.GetValueOrDefault(day) + c.Revenue, 2);
                    break;
                case CartStages.Purchased:
                    r.CartsPurchasedDirectly++;
                    break;
                case CartStages.Expired:
                    r.CartsExpired++;
                    break;
            }
        }

        Finish(r.Treatment);
        Finish(r.Control);
        r.Uplift = Math.Round(r.Treatment.Rate - r.Control.Rate, 6);
        var se = Math.Sqrt(Variance(r.Treatment) + Variance(r.Control));
        r.UpliftCi95 = [Math.Round(r.Uplift - 1.96 * se, 6), Math.Round(r.Uplift + 1.96 * se, 6)];
        r.RecoveredRevenue = Math.Round(r.RecoveredRevenue, 2);
        return r;
    }

    private static void Finish(GroupOutcome g) => g.Rate = g.AtRisk == 0 ? 0 : Math.Round((double)g.Converted / g.AtRisk, 6);

    private static double Variance(GroupOutcome g) => g.AtRisk == 0 ? 0 : g.Rate * (1 - g.Rate) / g.AtRisk;

    /// <summary>Builds the report from the checkpointed cart states in storage.</summary>
    public static async Task<RecoveryReport> FromStorageAsync(IGrainStorage storage, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        var carts = new List<CartState>();
        await foreach (var (_, json) in storage.ScanAsync("cart", "cart", cancellationToken))
        {
            if (JsonSerializer.Deserialize(json, GrainsJsonContext.Default.CartState) is { } cart)
            {
                // Only the fields the report reads; the event records are the bulk of a cart.
                cart.Events = [];
                cart.ScoredFeatures = null;
                carts.Add(cart);
            }
        }

        return Compute(carts, from, to);
    }
}
