namespace CartRecovery.Model.Training;

/// <summary>The best split found for a node; Feature = -1 means the node stays a leaf.</summary>
internal struct SplitCandidate
{
    public double Gain;
    public int Feature;

    /// <summary>Rows with codes 1..Code go left.</summary>
    public int Code;
    public bool DefaultLeft;
    public double LeftG;
    public double LeftH;

    public static SplitCandidate None => new() { Feature = -1 };
}

/// <summary>
/// Exact search over histogram bins with XGBoost's gain G²/(H+λ) and its missing-value rule: each cut is
/// tried with missing rows sent right and, when the node has missing rows, sent left; the better wins.
/// </summary>
internal static class SplitFinder
{
    public static SplitCandidate Find(double[] hist, BinnedMatrix m, ReadOnlySpan<int> features, double sumG, double sumH, GbdtOptions o)
    {
        var best = SplitCandidate.None;
        if (sumH < 2 * o.MinChildWeight)
        {
            return best;
        }

        var lambda = o.Lambda;
        var parentScore = sumG * sumG / (sumH + lambda);

        // XGBoost's floor for a useful split; below it rounding noise would grow trees.
        var minGain = Math.Max(o.Gamma, 1e-6);
        foreach (var f in features)
        {
            var bins = m.Cuts[f].Length;
            var at = 2 * m.Offsets[f];
            double missG = hist[at], missH = hist[at + 1];
            var hasMissing = missH > 0;

            // Missing right: left holds only value bins 1..c. Without missing rows the direction is
            // free: future missing values go to the heavier side.
            Scan(0, 0, missingLeft: false);
            if (!hasMissing)
            {
                continue;
            }

            // Missing left: left holds bins 1..c plus the missing slot.
            Scan(missG, missH, missingLeft: true);

            void Scan(double lg, double lh, bool missingLeft)
            {
                for (var c = 1; c < bins; c++)
                {
                    lg += hist[at + (2 * c)];
                    lh += hist[at + (2 * c) + 1];
                    double rg = sumG - lg, rh = sumH - lh;
                    if (lh < o.MinChildWeight || rh < o.MinChildWeight)
                    {
                        continue;
                    }

                    var gain = (lg * lg / (lh + lambda)) + (rg * rg / (rh + lambda)) - parentScore;
                    if (gain > best.Gain && gain >= minGain)
                    {
                        var defaultLeft = missingLeft || (!hasMissing && lh > rh);
                        best = new SplitCandidate { Gain = gain, Feature = f, Code = c, DefaultLeft = defaultLeft, LeftG = lg, LeftH = lh };
                    }
                }
            }

            // All value rows left, missing alone right: a split on "is missing" itself.
            {
                double vg = sumG - missG, vh = sumH - missH;
                if (vh >= o.MinChildWeight && missH >= o.MinChildWeight)
                {
                    var gain = (vg * vg / (vh + lambda)) + (missG * missG / (missH + lambda)) - parentScore;
                    if (gain > best.Gain && gain >= minGain)
                    {
                        best = new SplitCandidate { Gain = gain, Feature = f, Code = bins, DefaultLeft = false, LeftG = vg, LeftH = vh };
                    }
                }
            }
        }

        return best;
    }
}
