using System.CommandLine;
using System.Text.Json;
using CartRecovery.Model.Data;
using CartRecovery.Model.Evaluation;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Cli;

/// <summary>model eval: metrics of a saved model on a labelled CSV, as one JSON line.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = CliOptions.Text("--model", "MODEL.onnx", "the model to evaluate", required: true);
        var csv = CliOptions.Text("--csv", "FILE", "labelled rows; columns are matched to the model's features by name", required: true);
        var label = CliOptions.Text("--label", "COLUMN", "the label column: TRUE/FALSE or 1/0", required: true);
        var command = new Command("eval", "Print a saved model's AUC, PR-AUC, log loss and the row count on a labelled CSV as one JSON line")
        {
            model, csv, label,
        };
        command.SetAction(ModelCommand.Run((r, stdout, _, _) =>
            Task.FromResult(Run(r.GetRequiredValue(model), r.GetRequiredValue(csv), r.GetRequiredValue(label), stdout))));
        return command;
    }

    private static int Run(string modelPath, string csv, string label, TextWriter stdout)
    {
        var model = OnnxModel.Load(modelPath);
        var m = Evaluate(model, csv, label);
        stdout.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["auc"] = FitCommand.NullIfNaN(m.Auc),
            ["pr_auc"] = FitCommand.NullIfNaN(m.PrAuc),
            ["log_loss"] = FitCommand.NullIfNaN(m.LogLoss),
            ["rows"] = m.Rows,
        }));
        return ModelCommand.Ok;
    }

    internal static ModelMetrics Evaluate(OnnxModel model, string csv, string label)
    {
        var data = DatasetLoader.LoadWithSchema(csv, model.Schema, label);
        using var scorer = model.CreateScorer(Environment.ProcessorCount);
        return Metrics.Evaluate(scorer.ScoreAll(data), data.Labels!);
    }
}
