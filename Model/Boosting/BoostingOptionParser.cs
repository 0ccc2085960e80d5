using System.Globalization;

namespace CartRecovery.Model.Boosting;

/// <summary>
/// Builds <see cref="BoostingOptions"/> from text by key, for the command line and the HTTP API alike, so both
/// accept the same names and report a bad value the same way: "learning_rate 'fast' is not a number".
/// </summary>
public static class BoostingOptionParser
{
    /// <summary>Every key <see cref="Parse"/> reads.</summary>
    public static readonly string[] Keys =
    [
        "algorithm", "rounds", "learning_rate", "num_leaves", "max_depth", "min_data_in_leaf", "min_child_weight", "lambda",
        "subsample", "colsample_bytree", "max_bin", "early_stopping_rounds", "seed", "threads",
    ];

    /// <param name="lookup">The text given for a key, or null/empty when absent.</param>
    /// <param name="defaults">Values for absent keys.</param>
    /// <exception cref="InvalidOptionException">A value does not parse or is out of range.</exception>
    public static BoostingOptions Parse(Func<string, string?> lookup, BoostingOptions? defaults = null)
    {
        var d = defaults ?? new BoostingOptions();
        var options = d with
        {
            Algorithm = lookup("algorithm") switch
            {
                null or "" => d.Algorithm,
                var a when a.Equals("lightgbm", StringComparison.OrdinalIgnoreCase) => BoostingAlgorithm.LightGbm,
                var a when a.Equals("fasttree", StringComparison.OrdinalIgnoreCase) => BoostingAlgorithm.FastTree,
                var a => throw new InvalidOptionException("algorithm", $"algorithm '{a}' is not lightgbm or fasttree"),
            },
            Rounds = Int(lookup, "rounds", d.Rounds),
            LearningRate = Double(lookup, "learning_rate", d.LearningRate),
            NumberOfLeaves = Int(lookup, "num_leaves", d.NumberOfLeaves),
            MaxDepth = Int(lookup, "max_depth", d.MaxDepth),
            MinExamplesPerLeaf = Int(lookup, "min_data_in_leaf", d.MinExamplesPerLeaf),
            MinChildWeight = Double(lookup, "min_child_weight", d.MinChildWeight),
            Lambda = Double(lookup, "lambda", d.Lambda),
            Subsample = Double(lookup, "subsample", d.Subsample),
            ColsampleByTree = Double(lookup, "colsample_bytree", d.ColsampleByTree),
            MaxBins = Int(lookup, "max_bin", d.MaxBins),
            EarlyStoppingRounds = Int(lookup, "early_stopping_rounds", d.EarlyStoppingRounds),
            Seed = Int(lookup, "seed", d.Seed),
            Threads = lookup("threads") is { Length: > 0 } ? Int(lookup, "threads", 0) : d.Threads,
        };
        options.Validate();
        return options;
    }

    private static int Int(Func<string, string?> lookup, string key, int fallback) =>
        lookup(key) is not { Length: > 0 } v ? fallback
        : int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
        : throw new InvalidOptionException(key, $"{key} '{v}' is not an integer");

    private static double Double(Func<string, string?> lookup, string key, double fallback) =>
        lookup(key) is not { Length: > 0 } v ? fallback
        : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d
        : throw new InvalidOptionException(key, $"{key} '{v}' is not a number");
}
