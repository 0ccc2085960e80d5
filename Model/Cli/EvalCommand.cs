using System.Text.Json;
using CartRecovery.Model.Data;
using CartRecovery.Model.Evaluation;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Cli;

/// <summary>model eval: metrics of a saved model on a labelled CSV, as one JSON line.</summary>
internal static class EvalCommand
{
    public const string Usage =
        "model eval --model MODEL.onnx --csv FILE --label COLUMN\n" +
        "  Prints AUC, PR-AUC, log loss and the row count as one JSON line.";

    public static readonly string[] Options = ["model", "csv", "label"];

    public static int Run(CliArguments a, TextWriter stdout)
    {
        var model = OnnxModel.Load(a.Required("model"));
        var m = Evaluate(model, a.Required("csv"), a.Required("label"));
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
