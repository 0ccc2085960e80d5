namespace CartRecovery.Model.Training;

/// <summary>
/// Hyper-parameters of the boosted-tree trainer. Names and meanings follow XGBoost (eta, max_depth,
/// min_child_weight, lambda, gamma, subsample, colsample_bytree, max_bin) so settings carry over.
/// </summary>
public sealed record GbdtOptions
{
    /// <summary>Maximum boosting rounds (trees); early stopping may keep fewer.</summary>
    public int Rounds { get; init; } = 300;

    public double LearningRate { get; init; } = 0.1;

    public int MaxDepth { get; init; } = 6;

    /// <summary>Minimum hessian sum in each child of a split.</summary>
    public double MinChildWeight { get; init; } = 1;

    /// <summary>L2 penalty on leaf weights.</summary>
    public double Lambda { get; init; } = 1;

    /// <summary>Minimum loss reduction for a split to be kept.</summary>
    public double Gamma { get; init; }

    /// <summary>Fraction of rows sampled (without replacement, per tree).</summary>
    public double Subsample { get; init; } = 1;

    /// <summary>Fraction of features sampled per tree.</summary>
    public double ColsampleByTree { get; init; } = 1;

    /// <summary>Histogram bins per feature, at most 255 value bins (one more code is kept for missing).</summary>
    public int MaxBins { get; init; } = 256;

    /// <summary>Stop when validation log loss has not improved for this many rounds; 0 disables.</summary>
    public int EarlyStoppingRounds { get; init; } = 20;

    public int Seed { get; init; }

    /// <summary>Worker threads; null uses every core. Results do not depend on it.</summary>
    public int? Threads { get; init; }

    /// <summary>Report progress (and compute validation AUC, which costs a sort) every this many rounds.</summary>
    public int ProgressInterval { get; init; } = 1;

    internal int ValueBins => Math.Min(MaxBins, 255);

    public void Validate()
    {
        Check(Rounds >= 1, nameof(Rounds), "must be at least 1");
        Check(LearningRate is > 0 and <= 1, nameof(LearningRate), "must be in (0, 1]");
        Check(MaxDepth is >= 1 and <= 16, nameof(MaxDepth), "must be 1..16");
        Check(MinChildWeight >= 0, nameof(MinChildWeight), "must be >= 0");
        Check(Lambda >= 0, nameof(Lambda), "must be >= 0");
        Check(Gamma >= 0, nameof(Gamma), "must be >= 0");
        Check(Subsample is > 0 and <= 1, nameof(Subsample), "must be in (0, 1]");
        Check(ColsampleByTree is > 0 and <= 1, nameof(ColsampleByTree), "must be in (0, 1]");
        Check(MaxBins >= 2, nameof(MaxBins), "must be at least 2");
        Check(EarlyStoppingRounds >= 0, nameof(EarlyStoppingRounds), "must be >= 0");
        Check(Threads is null or >= 1, nameof(Threads), "must be at least 1");
        Check(ProgressInterval >= 1, nameof(ProgressInterval), "must be at least 1");
    }

    /// <summary>The settings that shape the model, as recorded in its metadata and the registry.</summary>
    public IReadOnlyDictionary<string, double> ToHyperParameters() => new SortedDictionary<string, double>(StringComparer.Ordinal)
    {
        ["rounds"] = Rounds,
        ["learning_rate"] = LearningRate,
        ["max_depth"] = MaxDepth,
        ["min_child_weight"] = MinChildWeight,
        ["lambda"] = Lambda,
        ["gamma"] = Gamma,
        ["subsample"] = Subsample,
        ["colsample_bytree"] = ColsampleByTree,
        ["max_bin"] = MaxBins,
        ["early_stopping_rounds"] = EarlyStoppingRounds,
        ["seed"] = Seed,
    };

    private static void Check(bool ok, string name, string rule)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(name, $"{name} {rule}");
        }
    }
}
