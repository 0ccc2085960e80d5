using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Scoring;
using CartRecovery.Model.Data;

namespace CartRecovery.Grains.Models;

/// <summary>
/// Training rows from cart outcomes: the feature vector a cart stored when it was scored, labelled
/// 1 (abandoned) unless the cart converted within <c>horizon</c> of the scoring point. Carts whose
/// horizon has not passed yet (and that have not converted) are left out: their label is unknown.
/// </summary>
public static class TrainingSet
{
    public const string Label = "abandoned";

    public static (Dataset Data, DateTimeOffset? From, DateTimeOffset? To) Build(IEnumerable<CartState> carts, TimeSpan horizon, DateTimeOffset now)
    {
        var rows = new List<(DateTimeOffset At, float[] Features, float Label)>();
        foreach (var cart in carts)
        {
            if (cart.ScoredFeatures is not { } features || features.Length != FeatureSet.Count || cart.ScoredAt is not { } at)
            {
                continue;
            }

            var converted = cart.PurchasedAt is { } bought && bought >= at && bought - at <= horizon;
            if (!converted && now - at < horizon)
            {
                continue;
            }

            rows.Add((at, features, converted ? 0f : 1f));
        }

        // Time order, so a tail split validates on the most recent carts.
        rows.Sort((a, b) => a.At.CompareTo(b.At));
        var schema = new DatasetSchema(FeatureSet.Names.Select(n => new FeatureInfo(n, FeatureKind.Numeric)).ToList());
        var columns = new float[FeatureSet.Count][];
        for (var f = 0; f < columns.Length; f++)
        {
            columns[f] = new float[rows.Count];
            for (var r = 0; r < rows.Count; r++)
            {
                columns[f][r] = rows[r].Features[f];
            }
        }

        var data = Dataset.Create(schema, columns, rows.Select(r => r.Label).ToArray(), Label);
        return (data, rows.Count > 0 ? rows[0].At : null, rows.Count > 0 ? rows[^1].At : null);
    }
}
