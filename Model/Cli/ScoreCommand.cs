using System.CommandLine;
using System.Globalization;
using System.Text;
using CartRecovery.Model.Data;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Cli;

/// <summary>model score: one probability per input row, in input order, under a "probability" header.</summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var model = CliOptions.Text("--model", "MODEL.onnx", "the model to score with", required: true);
        var csv = CliOptions.Text("--csv", "FILE", "rows to score; columns are matched to the model's features by name (others are ignored)", required: true);
        var output = CliOptions.Text("--out", "PREDICTIONS.csv", "where to write one probability per row, in input order", required: true);
        var command = new Command("score", "Score every row of a CSV with ONNX Runtime and write the probabilities under a \"probability\" header")
        {
            model, csv, output,
        };
        command.SetAction(ModelCommand.Run((r, stdout, _, _) =>
            Task.FromResult(Run(r.GetRequiredValue(model), r.GetRequiredValue(csv), r.GetRequiredValue(output), stdout))));
        return command;
    }

    private static int Run(string modelPath, string csv, string output, TextWriter stdout)
    {
        var model = OnnxModel.Load(modelPath);
        var data = DatasetLoader.LoadWithSchema(csv, model.Schema);
        using var scorer = model.CreateScorer(Environment.ProcessorCount);
        var predictions = scorer.ScoreAll(data);
        AtomicFile.Write(output, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            w.WriteLine("probability");
            foreach (var p in predictions)
            {
                w.WriteLine(p.ToString("R", CultureInfo.InvariantCulture));
            }
        });
        stdout.WriteLine($"{output}: {predictions.Length} predictions");
        return ModelCommand.Ok;
    }
}
