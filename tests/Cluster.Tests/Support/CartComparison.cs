using System.Globalization;
using CartRecovery.Grains.Abstractions.Carts;

namespace CartRecovery.Cluster.Tests.Support;

/// <summary>
/// Compares the event-derived part of cart states (lines, value, removals, checkout step, order,
/// revenue, created/last-activity times). The stage and its timestamps depend on wall-clock
/// reminders and legitimately differ from the reference.
/// </summary>
internal static class CartComparison
{
    public static List<string> Differences(IReadOnlyDictionary<string, CartState> expected, IReadOnlyDictionary<string, CartState> actual)
    {
        var problems = new List<string>();
        foreach (var (key, want) in expected.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!actual.TryGetValue(key, out var got))
            {
                problems.Add($"{key}: missing in the cluster (reference has {Describe(want)})");
                continue;
            }

            var diff = Diff(want, got);
            if (diff is not null)
            {
                problems.Add($"{key}: {diff}");
            }
        }

        foreach (var key in actual.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal))
        {
            problems.Add($"{key}: in the cluster but not in the reference ({Describe(actual[key])})");
        }

        return problems;
    }

    private static string? Diff(CartState want, CartState got)
    {
        var fields = new List<string>();
        void Check<T>(string name, T a, T b)
        {
            if (!EqualityComparer<T>.Default.Equals(a, b))
            {
                fields.Add($"{name} expected {a} got {b}");
            }
        }

        Check("lines", Lines(want), Lines(got));
        if (Math.Abs(want.Value - got.Value) > 1e-6 * Math.Max(1, Math.Abs(want.Value)))
        {
            fields.Add($"value expected {want.Value} got {got.Value}");
        }

        Check("removals", want.Removals, got.Removals);
        Check("checkout_step", want.CheckoutStep, got.CheckoutStep);
        Check("order_id", want.OrderId, got.OrderId);
        if (Math.Abs(want.Revenue - got.Revenue) > 1e-6 * Math.Max(1, Math.Abs(want.Revenue)))
        {
            fields.Add($"revenue expected {want.Revenue} got {got.Revenue}");
        }

        Check("created_at", want.CreatedAt, got.CreatedAt);
        Check("last_activity_at", want.LastActivityAt, got.LastActivityAt);
        return fields.Count == 0 ? null : string.Join("; ", fields);
    }

    private static string Lines(CartState cart) =>
        string.Join(",", cart.Lines.Select(l => $"{l.Sku}x{l.Quantity}@{l.Price.ToString("R", CultureInfo.InvariantCulture)}"));

    private static string Describe(CartState cart) =>
        $"lines [{Lines(cart)}], value {cart.Value}, removals {cart.Removals}, step {cart.CheckoutStep}, order {cart.OrderId ?? "-"}, stage {cart.Stage}";

    /// <summary>The nudge ledger: no nudge id twice, at most one nudge per stage, in every cart.</summary>
    public static List<string> LedgerProblems(IReadOnlyDictionary<string, CartState> carts)
    {
        var problems = new List<string>();
        foreach (var (key, cart) in carts)
        {
            foreach (var g in cart.Nudges.GroupBy(n => n.NudgeId).Where(g => g.Count() > 1))
            {
                problems.Add($"{key}: nudge {g.Key} recorded {g.Count()} times");
            }

            foreach (var g in cart.Nudges.GroupBy(n => n.Stage).Where(g => g.Count() > 1))
            {
                problems.Add($"{key}: {g.Count()} nudges for stage {g.Key}");
            }
        }

        var ids = carts.Values.SelectMany(c => c.Nudges).GroupBy(n => n.NudgeId).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        problems.AddRange(ids.Select(id => $"nudge id {id} appears in several carts"));
        return problems;
    }

    /// <summary>Fails with the first differences listed.</summary>
    public static void AssertEqual(IReadOnlyDictionary<string, CartState> expected, IReadOnlyDictionary<string, CartState> actual, string context)
    {
        var problems = Differences(expected, actual);
        Assert.True(problems.Count == 0,
            $"{context}: {problems.Count} of {expected.Count} carts differ from the single-pass reference (cluster has {actual.Count}):\n  " + string.Join("\n  ", problems.Take(25)));
    }
}
