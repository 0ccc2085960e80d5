namespace CartRecovery.Model.Boosting;

/// <summary>Which ML.NET tree learner fits the model; both export to the same ONNX tree ensemble.</summary>
public enum BoostingAlgorithm
{
    /// <summary>LightGBM (native library through Microsoft.ML.LightGbm): missing values learn a default direction.</summary>
    LightGbm,

    /// <summary>ML.NET's own FastTree (MART), for when it validates better on a particular data set.</summary>
    FastTree,
}

/// <summary>
/// Hyper-parameters of a boosted-tree training run. Each has a snake_case key (LightGBM's and XGBoost's names
/// where they share one) used on the command line (--learning-rate), in the HTTP API (learning_rate), in error
/// messages and in the registry's hyper_parameters column.
/// </summary>
public sealed record BoostingOptions
{
    public BoostingAlgorithm Algorithm { get; init; } = BoostingAlgorithm.LightGbm;

    /// <summary>Maximum boosting rounds (trees); early stopping may keep fewer. Key: rounds.</summary>
    public int Rounds { get; init; } = 300;

    /// <summary>Key: learning_rate.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>Leaves per tree; LightGBM grows leaf-wise up to this. Key: num_leaves.</summary>
    public int NumberOfLeaves { get; init; } = 31;

    /// <summary>Depth limit (LightGBM only); 0 leaves depth bounded by <see cref="NumberOfLeaves"/>. Key: max_depth.</summary>
    public int MaxDepth { get; init; }

    /// <summary>Minimum rows in a leaf. Key: min_data_in_leaf.</summary>
    public int MinExamplesPerLeaf { get; init; } = 20;

    /// <summary>Minimum hessian sum in a leaf (LightGBM only). Key: min_child_weight.</summary>
    public double MinChildWeight { get; init; } = 1e-3;

    /// <summary>L2 penalty on leaf values (LightGBM only). Key: lambda.</summary>
    public double Lambda { get; init; }

    /// <summary>Fraction of rows bagged per tree. Key: subsample.</summary>
    public double Subsample { get; init; } = 1;

    /// <summary>Fraction of features sampled per tree. Key: colsample_bytree.</summary>
    public double ColsampleByTree { get; init; } = 1;

    /// <summary>Histogram bins per feature. Key: max_bin.</summary>
    public int MaxBins { get; init; } = 255;

    /// <summary>Stop when validation log loss has not improved for this many rounds; 0 disables. Key: early_stopping_rounds.</summary>
    public int EarlyStoppingRounds { get; init; } = 20;

    /// <summary>Key: seed. The same data, options and thread count give a byte-identical model.</summary>
    public int Seed { get; init; }

    /// <summary>Trainer threads; null lets the library use every core. Key: threads.</summary>
    public int? Threads { get; init; }

    /// <exception cref="InvalidOptionException">An option is out of range.</exception>
    public void Validate()
    {
        Check(Rounds is >= 1 and <= 100_000, "rounds", "must be 1..100000");
        Check(LearningRate is > 0 and <= 1 && double.IsFinite(LearningRate), "learning_rate", "must be in (0, 1]");
        Check(NumberOfLeaves is >= 2 and <= 131_072, "num_leaves", "must be 2..131072");
        Check(MaxDepth is >= 0 and <= 64, "max_depth", "must be 0..64 (0 = no limit)");
        Check(MinExamplesPerLeaf >= 1, "min_data_in_leaf", "must be at least 1");
        Check(MinChildWeight >= 0 && double.IsFinite(MinChildWeight), "min_child_weight", "must be >= 0");
        Check(Lambda >= 0 && double.IsFinite(Lambda), "lambda", "must be >= 0");
        Check(Subsample is > 0 and <= 1, "subsample", "must be in (0, 1]");
        Check(ColsampleByTree is > 0 and <= 1, "colsample_bytree", "must be in (0, 1]");
        Check(MaxBins is >= 2 and <= 65_535, "max_bin", "must be 2..65535");
        Check(EarlyStoppingRounds is >= 0 and <= 100_000, "early_stopping_rounds", "must be 0..100000");
        Check(Threads is null or (>= 1 and <= 1024), "threads", "must be 1..1024");
    }

    /// <summary>The settings that shape the model, as recorded in its metadata and the registry.</summary>
    public IReadOnlyDictionary<string, double> ToHyperParameters()
    {
        var h = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["rounds"] = Rounds,
            ["learning_rate"] = LearningRate,
            ["num_leaves"] = NumberOfLeaves,
            ["min_data_in_leaf"] = MinExamplesPerLeaf,
            ["max_bin"] = MaxBins,
            ["colsample_bytree"] = ColsampleByTree,
            ["subsample"] = Subsample,
            ["early_stopping_rounds"] = EarlyStoppingRounds,
            ["seed"] = Seed,
        };
        if (Algorithm == BoostingAlgorithm.LightGbm)
        {
            h["max_depth"] = MaxDepth;
            h["min_child_weight"] = MinChildWeight;
            h["lambda"] = Lambda;
        }

        return h;
    }

    private static void Check(bool ok, string key, string rule)
    {
        if (!ok)
        {
            throw new InvalidOptionException(key, $"{key} {rule}");
        }
    }
}
