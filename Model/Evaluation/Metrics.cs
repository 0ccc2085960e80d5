namespace CartRecovery.Model.Evaluation;

/// <summary>Binary-classification metrics over predicted probabilities and 0/1 labels.</summary>
public static class Metrics
{
    /// <summary>
    /// ROC AUC as the Mann–Whitney statistic with average ranks, so tied scores count half — the
    /// probability that a random positive outranks a random negative. NaN when either class is absent.
    /// </summary>
    public static double Auc(ReadOnlySpan<float> scores, ReadOnlySpan<float> labels)
    {
        CheckLengths(scores, labels);
        var order = SortedAscending(scores);
        double positives = 0, rankSum = 0;
        var i = 0;
        while (i < order.Length)
        {
            var j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]])
            {
                j++;
            }

            var averageRank = ((i + 1) + (j + 1)) / 2.0;
            for (var k = i; k <= j; k++)
            {
                if (labels[order[k]] > 0.5f)
                {
                    positives++;
                    rankSum += averageRank;
                }
            }

            i = j + 1;
        }

        var negatives = order.Length - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        return (rankSum - (positives * (positives + 1) / 2)) / (positives * negatives);
    }

    /// <summary>
    /// PR AUC as average precision: Σ (Rₖ − Rₖ₋₁)·Pₖ over distinct score thresholds, highest first
    /// (scikit-learn's definition; no interpolation, ties form one threshold). NaN without positives.
    /// </summary>
    public static double AveragePrecision(ReadOnlySpan<float> scores, ReadOnlySpan<float> labels)
    {
        CheckLengths(scores, labels);
        var order = SortedAscending(scores);
        double totalPositives = 0;
        foreach (var y in labels)
        {
            totalPositives += y > 0.5f ? 1 : 0;
        }

        if (totalPositives == 0)
        {
            return double.NaN;
        }

        double tp = 0, fp = 0, previousRecall = 0, ap = 0;
        var i = order.Length - 1;
        while (i >= 0)
        {
            var j = i;
            while (j - 1 >= 0 && scores[order[j - 1]] == scores[order[i]])
            {
                j--;
            }

            for (var k = j; k <= i; k++)
            {
                if (labels[order[k]] > 0.5f)
                {
                    tp++;
                }
                else
                {
                    fp++;
                }
            }

            var recall = tp / totalPositives;
            ap += (recall - previousRecall) * (tp / (tp + fp));
            previousRecall = recall;
            i = j - 1;
        }

        return ap;
    }

    /// <summary>Mean negative log-likelihood, probabilities clipped to [1e-15, 1 − 1e-15] so one confident miss stays finite.</summary>
    public static double LogLoss(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> labels)
    {
        CheckLengths(probabilities, labels);
        if (probabilities.Length == 0)
        {
            return double.NaN;
        }

        const double eps = 1e-15;
        double sum = 0;
        for (var i = 0; i < probabilities.Length; i++)
        {
            var p = Math.Clamp((double)probabilities[i], eps, 1 - eps);
            sum -= labels[i] > 0.5f ? Math.Log(p) : Math.Log(1 - p);
        }

        return sum / probabilities.Length;
    }

    /// <summary>Equal-width probability bins; the last bin is closed so p = 1 is counted. Empty bins report NaN means.</summary>
    public static IReadOnlyList<CalibrationBin> Calibration(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> labels, int bins = 10)
    {
        CheckLengths(probabilities, labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var count = new int[bins];
        var predicted = new double[bins];
        var observed = new double[bins];
        for (var i = 0; i < probabilities.Length; i++)
        {
            var b = Math.Clamp((int)(probabilities[i] * bins), 0, bins - 1);
            count[b]++;
            predicted[b] += probabilities[i];
            observed[b] += labels[i] > 0.5f ? 1 : 0;
        }

        return Enumerable.Range(0, bins)
            .Select(b => new CalibrationBin(
                (double)b / bins,
                (double)(b + 1) / bins,
                count[b],
                count[b] == 0 ? double.NaN : predicted[b] / count[b],
                count[b] == 0 ? double.NaN : observed[b] / count[b]))
            .ToList();
    }

    public static ModelMetrics Evaluate(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> labels)
    {
        var positives = 0;
        foreach (var y in labels)
        {
            positives += y > 0.5f ? 1 : 0;
        }

        return new ModelMetrics(
            Auc(probabilities, labels),
            AveragePrecision(probabilities, labels),
            LogLoss(probabilities, labels),
            labels.Length,
            positives,
            Calibration(probabilities, labels));
    }

    private static int[] SortedAscending(ReadOnlySpan<float> scores)
    {
        var keys = scores.ToArray();
        var order = new int[keys.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
            if (float.IsNaN(keys[i]))
            {
                throw new ArgumentException($"score {i} is NaN", nameof(scores));
            }
        }

        Array.Sort(keys, order);
        return order;
    }

    private static void CheckLengths(ReadOnlySpan<float> a, ReadOnlySpan<float> labels)
    {
        if (a.Length != labels.Length)
        {
            throw new ArgumentException($"{a.Length} scores but {labels.Length} labels");
        }
    }
}
