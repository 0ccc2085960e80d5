using System.Text.Json;
using CartRecovery.Model.Data;
using CartRecovery.Model.Evaluation;
using CartRecovery.Model.Scoring;

namespace CartRecovery.Model.Cli;

/// <summary>model eval: metrics of a saved model on a labelled CSV, as one JSON line.</summary>
internal static class EvalCommand
{
    public static readonly string[] Options = ["model", "csv", "label"];

    public static int Run(CliArguments a, TextWriter stdout)
    {
        var model = ModelFile.Load(a.Required("model"));
        var data = DatasetLoader.LoadWithSchema(a.Required("csv"), model.Schema, a.Required("label"));
        var m = Metrics.Evaluate(model.PredictAll(data), data.Labels);
        stdout.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["auc"] = FitCommand.NullIfNaN(m.Auc),
            ["pr_auc"] = FitCommand.NullIfNaN(m.PrAuc),
            ["log_loss"] = FitCommand.NullIfNaN(m.LogLoss),
            ["rows"] = m.Rows,
        }));
        return ModelCommand.Ok;
    }
}
