using System.Globalization;
using System.Text;
using CartRecovery.Model.Data;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Cli;

/// <summary>model score: one probability per input row, in input order, under a "probability" header.</summary>
internal static class ScoreCommand
{
    public const string Usage =
        "model score --model MODEL.onnx --csv FILE --out PREDICTIONS.csv\n" +
        "  Scores every row with ONNX Runtime; columns are matched to the model's features by name.";

    public static readonly string[] Options = ["model", "csv", "out"];

    public static int Run(CliArguments a, TextWriter stdout)
    {
        var model = OnnxModel.Load(a.Required("model"));
        var csv = a.Required("csv");
        var output = a.Required("out");
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
