using System.Globalization;
using System.Text.Json;
using CartRecovery.Model.Data;
using CartRecovery.Model.Scoring;
using CartRecovery.Model.Training;

namespace CartRecovery.Model.Cli;

/// <summary>model fit: train on a CSV, holding out its last rows (time order) for early stopping and metrics.</summary>
internal static class FitCommand
{
    public static readonly string[] Options =
        ["csv", "label", "out", "seed", "rounds", "depth", "learning-rate", "validation-fraction", "early-stopping", "ignore"];

    public static int Run(CliArguments a, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var csv = a.Required("csv");
        var label = a.Required("label");
        var output = a.Required("out");
        var defaults = new GbdtOptions();
        var options = defaults with
        {
            Seed = a.Int("seed", defaults.Seed),
            Rounds = a.Int("rounds", defaults.Rounds),
            MaxDepth = a.Int("depth", defaults.MaxDepth),
            LearningRate = a.Double("learning-rate", defaults.LearningRate),
            EarlyStoppingRounds = a.Int("early-stopping", defaults.EarlyStoppingRounds),
            ProgressInterval = 10,
        };
        options.Validate();
        var fraction = a.Double("validation-fraction", 0.2);
        if (fraction is <= 0 or >= 1)
        {
            throw new UsageException($"fit: --validation-fraction {fraction} must be between 0 and 1");
        }

        var ignored = a.Optional("ignore")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        var data = DatasetLoader.LoadForTraining(csv, label, ignored);
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
        var progress = new SyncProgress<TrainingProgress>(p => stderr.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"round {p.Round}/{p.MaxRounds} train_loss={p.TrainLogLoss:F5} valid_loss={p.ValidationLogLoss:F5} valid_auc={p.ValidationAuc:F4} best={p.BestRound}")));
        var result = GbdtTrainer.Train(train, validation, options, progress, ct);
        ModelFile.Save(result.Model, output);

        var m = result.ValidationMetrics!;
        stdout.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["model"] = output,
            ["trees"] = result.Model.TreeCount,
            ["rounds_trained"] = result.RoundsTrained,
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
