using CartRecovery.Model.Evaluation;

namespace CartRecovery.Model.Tests.Evaluation;

public sealed class MetricsTests
{
    [Fact]
    public void Auc_counts_tied_pairs_as_half()
    {
        // Pairs (pos, neg): (0.5,0.5)=½, (0.5,0.2)=1, (0.8,0.5)=1, (0.8,0.2)=1 → 3.5 / 4.
        Assert.Equal(0.875, Metrics.Auc([0.5f, 0.5f, 0.2f, 0.8f], [1, 0, 0, 1]), 12);
        Assert.Equal(0.75, Metrics.Auc([0.1f, 0.4f, 0.35f, 0.8f], [0, 0, 1, 1]), 12);
        Assert.Equal(0.5, Metrics.Auc([0.3f, 0.3f, 0.3f, 0.3f], [0, 1, 0, 1]), 12);
        Assert.Equal(1.0, Metrics.Auc([0.1f, 0.2f, 0.9f], [0, 0, 1]), 12);
        Assert.Equal(0.0, Metrics.Auc([0.9f, 0.2f, 0.1f], [0, 0, 1]), 12);
        Assert.True(double.IsNaN(Metrics.Auc([0.1f, 0.2f], [1, 1])));
    }

    [Fact]
    public void Auc_equals_brute_force_pair_counting_on_heavily_tied_scores()
    {
        var rng = new Random(3);
        for (var trial = 0; trial < 20; trial++)
        {
            var n = rng.Next(5, 200);
            var scores = Enumerable.Range(0, n).Select(_ => (float)rng.Next(0, 6)).ToArray();
            var labels = Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.3 ? 1f : 0f).ToArray();
            double wins = 0, pairs = 0;
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    if (labels[i] == 1 && labels[j] == 0)
                    {
                        pairs++;
                        wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                    }
                }
            }

            var expected = pairs == 0 ? double.NaN : wins / pairs;
            Assert.Equal(expected, Metrics.Auc(scores, labels), 10);
        }
    }

    [Fact]
    public void Average_precision_matches_hand_computation()
    {
        // Ranked 0.8(+), 0.4(−), 0.35(+), 0.1(−): AP = ½·1 + ½·⅔.
        Assert.Equal(0.5 + (0.5 * 2 / 3), Metrics.AveragePrecision([0.1f, 0.4f, 0.35f, 0.8f], [0, 0, 1, 1]), 12);

        // A tie is one threshold: {0.7: +,−} then {0.2: +}: ½·½ + ½·⅔.
        Assert.Equal((0.5 * 0.5) + (0.5 * 2 / 3), Metrics.AveragePrecision([0.7f, 0.7f, 0.2f], [1, 0, 1]), 12);
        Assert.Equal(1.0, Metrics.AveragePrecision([0.9f, 0.8f, 0.1f], [1, 1, 0]), 12);
    }

    [Fact]
    public void Log_loss_matches_hand_computation_and_stays_finite_on_confident_misses()
    {
        Assert.Equal(-(Math.Log(0.9) + Math.Log(0.8)) / 2, Metrics.LogLoss([0.9f, 0.2f], [1, 0]), 6);
        var worst = Metrics.LogLoss([0f, 1f], [1, 0]);
        Assert.True(double.IsFinite(worst));
        Assert.InRange(worst, -Math.Log(1e-15) - 0.01, -Math.Log(1e-15) + 0.01);
    }

    [Fact]
    public void Calibration_bins_hold_counts_mean_prediction_and_observed_rate()
    {
        var bins = Metrics.Calibration([0.05f, 0.15f, 0.12f, 0.95f, 1f], [0, 1, 0, 1, 1]);
        Assert.Equal(10, bins.Count);
        Assert.Equal(1, bins[0].Count);
        Assert.Equal(2, bins[1].Count);
        Assert.Equal((0.15 + 0.12) / 2, bins[1].MeanPredicted, 6);
        Assert.Equal(0.5, bins[1].ObservedRate, 12);
        Assert.Equal(2, bins[9].Count);
        Assert.Equal(0, bins[5].Count);
        Assert.True(double.IsNaN(bins[5].MeanPredicted));
        Assert.Equal(5, bins.Sum(b => b.Count));
    }
}
