using System.CommandLine;
using System.Text.Json;
using CartRecovery.Model.Boosting;
using CartRecovery.Model.Data;

namespace CartRecovery.Model.Cli;

/// <summary>model fit: train on a CSV, holding out its last rows (time order) for early stopping and metrics, and write ONNX.</summary>
internal static class FitCommand
{
    public static Command Create()
    {
        var csv = CliOptions.Text("--csv", "FILE", "training data: a CSV with a header row (plain or .gz); numbers, TRUE/FALSE and text (categories)", required: true);
        var label = CliOptions.Text("--label", "COLUMN", "the label column: TRUE/FALSE or 1/0", required: true);
        var output = CliOptions.Text("--out", "MODEL.onnx", "where to write the model", required: true);
        var fraction = CliOptions.Parsed("--validation-fraction", "X", "the last rows (time order) held out for early stopping and metrics",
            CliOptions.TryDouble, "a number", 0.2, f => f is > 0 and < 1 ? null : "must be between 0 and 1 (exclusive)");
        var ignore = CliOptions.List("--ignore", "COL1,COL2", "columns that are not features");
        var training = new TrainingOptions();
        var command = new Command("fit", "Train boosted trees (LightGBM through ML.NET by default) on a CSV and write an ONNX model; progress on stderr, one JSON line on stdout")
        {
            csv, label, output, fraction, ignore,
        };
        training.All.ForEach(command.Add);
        command.SetAction(ModelCommand.Run((r, stdout, stderr, ct) => Task.FromResult(Run(
            r.GetRequiredValue(csv), r.GetRequiredValue(label), r.GetRequiredValue(output), r.GetValue(fraction), r.GetValue(ignore) ?? [],
            training.Read(r), stdout, stderr, ct))));
        return command;
    }

    private static int Run(string csv, string label, string output, double fraction, string[] ignore, BoostingOptions options,
        TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var data = DatasetLoader.LoadForTraining(csv, label, ignore);
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

        var result = TrainingProgressView.Run(stderr, progress => BoostingTrainer.Train(train, validation, options, progress, ct));
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

    private static string Describe(FeatureInfo f) => f.Kind switch
    {
        FeatureKind.Categorical => $"{f.Name} (categorical, {f.Categories.Count} values)",
        FeatureKind.Boolean => $"{f.Name} (boolean)",
        _ => $"{f.Name} (numeric)",
    };
}
