namespace CartRecovery.Grains.Scoring;

/// <summary>
/// A transparent logistic baseline, used until a trained model is promoted. Each weight says how
/// a feature moves the log-odds of abandonment; missing features contribute nothing.
/// </summary>
public sealed class BaselineScorer : IRiskScorer
{
    private static readonly (string Feature, double Weight)[] Weights =
    [
        ("minutes_idle", 0.08),
        ("cart_removals", 0.35),
        ("checkout_progress", -0.9),
        ("returning", -0.4),
        ("past_purchases", -0.3),
        ("past_nudge_clicks", -0.2),
        ("product_views", 0.02),
        ("cart_lines", -0.1),
    ];

    private const double Bias = 0.6;

    private static readonly int[] Index = Weights.Select(w => Array.IndexOf(FeatureSet.Names, w.Feature)).ToArray();

    public string Version => "baseline-v1";

    public double Score(ReadOnlySpan<float> features)
    {
        var z = Bias;
        for (var i = 0; i < Weights.Length; i++)
        {
            var v = features[Index[i]];
            if (!float.IsNaN(v))
            {
                z += Weights[i].Weight * Math.Min(v, 60);
            }
        }

        return 1 / (1 + Math.Exp(-z));
    }
}
