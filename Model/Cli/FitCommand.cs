using System.Text.Json;
using CartRecovery.Model.Boosting;
using CartRecovery.Model.Data;

namespace CartRecovery.Model.Cli;

/// <summary>model fit: train on a CSV, holding out its last rows (time order) for early stopping and metrics, and write ONNX.</summary>
internal static class FitCommand
{
    public const string Usage =
        "model fit --csv FILE --label COLUMN --out MODEL.onnx [--validation-fraction X (0.2)] [--ignore COL1,COL2]\n" +
        "    [--algorithm lightgbm|fasttree] [--rounds N] [--learning-rate X] [--num-leaves N] [--max-depth N]\n" +
        "    [--min-data-in-leaf N] [--min-child-weight X] [--lambda X] [--subsample X] [--colsample-bytree X]\n" +
        "    [--max-bin N] [--early-stopping-rounds N] [--seed N] [--threads N]\n" +
        "  Trains boosted trees (LightGBM through ML.NET by default) on any CSV with a header: numbers, TRUE/FALSE,\n" +
        "  and text columns (as categories). Rows are taken to be in time order: the last rows validate.";

    public static readonly string[] Options =
        ["csv", "label", "out", "validation-fraction", "ignore", .. BoostingOptionParser.Keys.Select(Flag)];

    public static int Run(CliArguments a, TextWriter stdout, TextWriter stderr, bool interactive, CancellationToken ct)
    {
        var csv = a.Required("csv");
        var label = a.Required("label");
        var output = a.Required("out");
        BoostingOptions options;
        try
        {
            options = BoostingOptionParser.Parse(key => a.Optional(Flag(key)));
        }
        catch (InvalidOptionException e)
        {
            throw new UsageException($"fit: --{Flag(e.Key)}{e.Message[e.Key.Length..]}");
        }

        var fraction = a.Double("validation-fraction", 0.2);
        if (fraction is <= 0 or >= 1)
        {
            throw new UsageException($"fit: --validation-fraction {fraction} must be between 0 and 1");
        }

        var data = DatasetLoader.LoadForTraining(csv, label, a.List("ignore"));
        if (data.RowCount < 2)
        {
            throw new DataFormatException($"{csv}: {data.RowCount} data row(s); need at least 2 to hold out validation rows");
        }

        var positives = data.Labels!.Count(y => y > 0.5f);
        if (positives == 0 || positives == data.RowCount)
        {
            throw new DataFormatException($"{csv}: label column '{label}' is {(positives == 0 ? "0/FALSE" : "1/TRUE")} on every row; a classifier needs both classes");
        }

        stderr.WriteLine($"{csv}: {data.RowCount} rows; features: " + string.Join(", ", data.Schema.Features.Select(Describe)));
        var (train, validation) = data.SplitTail(fraction);
        if (train.Labels!.Distinct().Count() < 2)
        {
            throw new DataFormatException($"{csv}: the first {train.RowCount} rows (the training part) hold one class only; a classifier needs both");
        }

        var result = BoostingTrainer.Train(train, validation, options, new ProgressView(stderr, interactive), ct);
        result.Model.Save(output);

        var m = result.ValidationMetrics!;
        stdout.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["model"] = output,
            ["algorithm"] = result.Model.Info.Algorithm,
            ["trees"] = result.Trees,
            ["best_iteration"] = result.BestIteration,
            ["train_rows"] = train.RowCount,
            ["validation_rows"] = validation.RowCount,
            ["auc"] = NullIfNaN(m.Auc),
            ["pr_auc"] = NullIfNaN(m.PrAuc),
            ["log_loss"] = NullIfNaN(m.LogLoss),
            ["seconds"] = Math.Round(result.Elapsed.TotalSeconds, 3),
        }));
        return ModelCommand.Ok;
    }

    internal static double? NullIfNaN(double v) => double.IsFinite(v) ? v : null;

    private static string Flag(string key) => key.Replace('_', '-');

    private static string Describe(FeatureInfo f) => f.Kind switch
    {
        FeatureKind.Categorical => $"{f.Name} (categorical, {f.Categories.Count} values)",
        FeatureKind.Boolean => $"{f.Name} (boolean)",
        _ => $"{f.Name} (numeric)",
    };
}
