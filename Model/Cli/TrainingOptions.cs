using System.CommandLine;
using CartRecovery.Model.Boosting;

namespace CartRecovery.Model.Cli;

/// <summary>
/// fit's hyper-parameter options: one per <see cref="BoostingOptionParser.Keys"/> key (learning_rate is
/// --learning-rate), typed, defaulting to <see cref="BoostingOptions"/>'s values and checked against its rules as
/// they parse, so a value out of range is a usage error with the same reason the HTTP API gives.
/// </summary>
internal sealed class TrainingOptions
{
    private static readonly BoostingOptions Defaults = new();

    private readonly List<Func<ParseResult, BoostingOptions, BoostingOptions>> _setters = [];

    public TrainingOptions()
    {
        Add("algorithm", "lightgbm|fasttree", "the learner: LightGBM, or ML.NET's own boosted trees (FastTree)",
            TryAlgorithm, "lightgbm or fasttree", o => o.Algorithm, (o, v) => o with { Algorithm = v });
        Add("rounds", "N", "maximum boosting rounds (trees); early stopping may keep fewer",
            CliOptions.TryInt, "an integer", o => o.Rounds, (o, v) => o with { Rounds = v });
        Add("learning_rate", "X", "shrinkage per round",
            CliOptions.TryDouble, "a number", o => o.LearningRate, (o, v) => o with { LearningRate = v });
        Add("num_leaves", "N", "leaves per tree",
            CliOptions.TryInt, "an integer", o => o.NumberOfLeaves, (o, v) => o with { NumberOfLeaves = v });
        Add("max_depth", "N", "depth limit, 0 for none (LightGBM)",
            CliOptions.TryInt, "an integer", o => o.MaxDepth, (o, v) => o with { MaxDepth = v });
        Add("min_data_in_leaf", "N", "minimum rows per leaf",
            CliOptions.TryInt, "an integer", o => o.MinExamplesPerLeaf, (o, v) => o with { MinExamplesPerLeaf = v });
        Add("min_child_weight", "X", "minimum hessian sum per leaf (LightGBM)",
            CliOptions.TryDouble, "a number", o => o.MinChildWeight, (o, v) => o with { MinChildWeight = v });
        Add("lambda", "X", "L2 penalty on leaf values (LightGBM)",
            CliOptions.TryDouble, "a number", o => o.Lambda, (o, v) => o with { Lambda = v });
        Add("subsample", "X", "fraction of rows bagged per tree",
            CliOptions.TryDouble, "a number", o => o.Subsample, (o, v) => o with { Subsample = v });
        Add("colsample_bytree", "X", "fraction of features sampled per tree",
            CliOptions.TryDouble, "a number", o => o.ColsampleByTree, (o, v) => o with { ColsampleByTree = v });
        Add("max_bin", "N", "histogram bins per feature",
            CliOptions.TryInt, "an integer", o => o.MaxBins, (o, v) => o with { MaxBins = v });
        Add("early_stopping_rounds", "N", "stop after this many rounds without a better validation log loss (0: off)",
            CliOptions.TryInt, "an integer", o => o.EarlyStoppingRounds, (o, v) => o with { EarlyStoppingRounds = v });
        Add("seed", "N", "with the same data, options and --threads, the model file is byte-identical",
            CliOptions.TryInt, "an integer", o => o.Seed, (o, v) => o with { Seed = v });
        Add("threads", "N", "trainer threads (default: every core)",
            CliOptions.TryNullableInt, "an integer", o => o.Threads, (o, v) => o with { Threads = v });
    }

    public List<Option> All { get; } = [];

    /// <summary>The options of a parse result that has no errors.</summary>
    public BoostingOptions Read(ParseResult result) => _setters.Aggregate(Defaults, (options, set) => set(result, options));

    public static string Flag(string key) => "--" + key.Replace('_', '-');

    private void Add<T>(string key, string helpName, string description, CliOptions.TryParse<T> parse, string kind,
        Func<BoostingOptions, T> get, Func<BoostingOptions, T, BoostingOptions> set)
    {
        var option = CliOptions.Parsed(Flag(key), helpName, description, parse, kind, get(Defaults), value => Broken(set(Defaults, value)));
        All.Add(option);
        _setters.Add((result, options) => set(options, result.GetValue(option)!));
    }

    /// <summary>The rule a value breaks, checked with every other option at its (valid) default: "must be in (0, 1]".</summary>
    private static string? Broken(BoostingOptions options)
    {
        try
        {
            options.Validate();
            return null;
        }
        catch (InvalidOptionException e)
        {
            return e.Message.StartsWith(e.Key, StringComparison.Ordinal) ? e.Message[e.Key.Length..].TrimStart() : e.Message;
        }
    }

    private static bool TryAlgorithm(string text, out BoostingAlgorithm value)
    {
        var known = text.Equals("lightgbm", StringComparison.OrdinalIgnoreCase) || text.Equals("fasttree", StringComparison.OrdinalIgnoreCase);
        value = known && text.Equals("fasttree", StringComparison.OrdinalIgnoreCase) ? BoostingAlgorithm.FastTree : BoostingAlgorithm.LightGbm;
        return known;
    }
}
