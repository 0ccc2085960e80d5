using CartRecovery.Model.Evaluation;

namespace CartRecovery.Model.Tests.Support;

/// <summary>
/// How much the AUC difference between two models on the same rows moves when the rows are resampled:
/// the yardstick for "not worse" when two equally good trainers differ only by tie-breaking and bin edges.
/// </summary>
public static class PairedBootstrap
{
    public static double AucDifferenceStdDev(float[] a, float[] b, float[] labels, int resamples = 200, int seed = 7)
    {
        var rng = new Random(seed);
        var n = labels.Length;
        var sa = new float[n];
        var sb = new float[n];
        var sy = new float[n];
        var diffs = new List<double>(resamples);
        for (var k = 0; k < resamples; k++)
        {
            for (var i = 0; i < n; i++)
            {
                var j = rng.Next(n);
                sa[i] = a[j];
                sb[i] = b[j];
                sy[i] = labels[j];
            }

            var d = Metrics.Auc(sa, sy) - Metrics.Auc(sb, sy);
            if (double.IsFinite(d))
            {
                diffs.Add(d);
            }
        }

        var mean = diffs.Average();
        return Math.Sqrt(diffs.Sum(d => (d - mean) * (d - mean)) / (diffs.Count - 1));
    }
}
