using Orleans;
using System.Text.Json.Serialization;

namespace CartRecovery.Grains.Abstractions.Reports;

/// <summary>
/// Recovery report counters: one cart's contribution, or the running totals of all carts created
/// on one day. Revenue is kept in cents so that adding and taking back contributions is exact.
/// </summary>
[GenerateSerializer, Alias("cr.ReportTotals")]
public sealed class ReportTotals
{
    [Id(0)] [JsonPropertyName("carts_created")] public long CartsCreated { get; set; }

    [Id(1)] [JsonPropertyName("active_carts")] public long ActiveCarts { get; set; }

    [Id(2)] [JsonPropertyName("carts_at_risk")] public long CartsAtRisk { get; set; }

    [Id(3)] [JsonPropertyName("carts_abandoned")] public long CartsAbandoned { get; set; }

    [Id(4)] [JsonPropertyName("carts_nudged")] public long CartsNudged { get; set; }

    [Id(5)] [JsonPropertyName("carts_recovered")] public long CartsRecovered { get; set; }

    [Id(6)] [JsonPropertyName("carts_purchased_directly")] public long CartsPurchasedDirectly { get; set; }

    [Id(7)] [JsonPropertyName("carts_expired")] public long CartsExpired { get; set; }

    [Id(8)] [JsonPropertyName("nudges_sent")] public long NudgesSent { get; set; }

    [Id(9)] [JsonPropertyName("nudges_shown")] public long NudgesShown { get; set; }

    [Id(10)] [JsonPropertyName("nudges_clicked")] public long NudgesClicked { get; set; }

    [Id(11)] [JsonPropertyName("treatment_at_risk")] public long TreatmentAtRisk { get; set; }

    [Id(12)] [JsonPropertyName("treatment_converted")] public long TreatmentConverted { get; set; }

    [Id(13)] [JsonPropertyName("control_at_risk")] public long ControlAtRisk { get; set; }

    [Id(14)] [JsonPropertyName("control_converted")] public long ControlConverted { get; set; }

    [Id(15)] [JsonPropertyName("recovered_revenue_cents")] public long RecoveredRevenueCents { get; set; }

    /// <summary>Recovered revenue by purchase day (UTC, yyyy-MM-dd).</summary>
    [Id(16)] [JsonPropertyName("recovered_cents_by_day")] public Dictionary<string, long> RecoveredCentsByDay { get; set; } = new();

    /// <summary>Adds <paramref name="sign"/> (1 or -1) times <paramref name="other"/>.</summary>
    public void Add(ReportTotals? other, int sign = 1)
    {
        if (other is null)
        {
            return;
        }

        CartsCreated += sign * other.CartsCreated;
        ActiveCarts += sign * other.ActiveCarts;
        CartsAtRisk += sign * other.CartsAtRisk;
        CartsAbandoned += sign * other.CartsAbandoned;
        CartsNudged += sign * other.CartsNudged;
        CartsRecovered += sign * other.CartsRecovered;
        CartsPurchasedDirectly += sign * other.CartsPurchasedDirectly;
        CartsExpired += sign * other.CartsExpired;
        NudgesSent += sign * other.NudgesSent;
        NudgesShown += sign * other.NudgesShown;
        NudgesClicked += sign * other.NudgesClicked;
        TreatmentAtRisk += sign * other.TreatmentAtRisk;
        TreatmentConverted += sign * other.TreatmentConverted;
        ControlAtRisk += sign * other.ControlAtRisk;
        ControlConverted += sign * other.ControlConverted;
        RecoveredRevenueCents += sign * other.RecoveredRevenueCents;
        foreach (var (day, cents) in other.RecoveredCentsByDay)
        {
            var sum = RecoveredCentsByDay.GetValueOrDefault(day) + sign * cents;
            if (sum == 0)
            {
                RecoveredCentsByDay.Remove(day);
            }
            else
            {
                RecoveredCentsByDay[day] = sum;
            }
        }
    }

    public bool SameAs(ReportTotals? other) =>
        other is not null
        && CartsCreated == other.CartsCreated && ActiveCarts == other.ActiveCarts && CartsAtRisk == other.CartsAtRisk
        && CartsAbandoned == other.CartsAbandoned && CartsNudged == other.CartsNudged && CartsRecovered == other.CartsRecovered
        && CartsPurchasedDirectly == other.CartsPurchasedDirectly && CartsExpired == other.CartsExpired
        && NudgesSent == other.NudgesSent && NudgesShown == other.NudgesShown && NudgesClicked == other.NudgesClicked
        && TreatmentAtRisk == other.TreatmentAtRisk && TreatmentConverted == other.TreatmentConverted
        && ControlAtRisk == other.ControlAtRisk && ControlConverted == other.ControlConverted
        && RecoveredRevenueCents == other.RecoveredRevenueCents
        && RecoveredCentsByDay.Count == other.RecoveredCentsByDay.Count
        && RecoveredCentsByDay.All(kv => other.RecoveredCentsByDay.TryGetValue(kv.Key, out var v) && v == kv.Value);
}

/// <summary>
/// A cart's change of contribution: what it reported before (<see cref="Old"/>) and what it
/// contributes now. <see cref="Seq"/> counts the cart's notifications, so one sent again after a
/// failure replaces the first instead of counting twice.
/// </summary>
[GenerateSerializer, Alias("cr.ReportNotification")]
public sealed class ReportNotification
{
    [Id(0)] [JsonPropertyName("cart")] public string CartKey { get; set; } = "";

    [Id(1)] [JsonPropertyName("seq")] public int Seq { get; set; }

    [Id(2)] [JsonPropertyName("old")] public ReportTotals? Old { get; set; }

    [Id(3)] [JsonPropertyName("new")] public ReportTotals New { get; set; } = new();

    /// <summary>When the day's totals applied it (set by the day grain, for reconciliation).</summary>
    [Id(4)] [JsonPropertyName("applied_at")] public DateTimeOffset AppliedAt { get; set; }
}

/// <summary>State of one creation day's running totals.</summary>
[GenerateSerializer, Alias("cr.ReportDayState")]
public sealed class ReportDayState
{
    [Id(0)] [JsonPropertyName("totals")] public ReportTotals Totals { get; set; } = new();

    /// <summary>
    /// Notifications applied whose cart has not yet confirmed its own write (per cart, the latest).
    /// Only carts between the two writes are here, so it stays small.
    /// </summary>
    [Id(1)] [JsonPropertyName("unacked")] public Dictionary<string, ReportNotification> Unacked { get; set; } = new();
}

/// <summary>The creation days that have running totals.</summary>
[GenerateSerializer, Alias("cr.ReportIndexState")]
public sealed class ReportIndexState
{
    /// <summary>Days (UTC, yyyy-MM-dd) in ascending order.</summary>
    [Id(0)] [JsonPropertyName("days")] public List<string> Days { get; set; } = new();
}
