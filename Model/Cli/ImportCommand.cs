using CartRecovery.Model.Scoring;
using CartRecovery.Model.Xgboost;

namespace CartRecovery.Model.Cli;

/// <summary>model import-xgboost: convert an XGBoost JSON booster to our model file.</summary>
internal static class ImportCommand
{
    public static readonly string[] Options = ["json", "out"];

    public static int Run(CliArguments a, TextWriter stdout)
    {
        var model = XgboostImporter.Load(a.Required("json"));
        var output = a.Required("out");
        ModelFile.Save(model, output);
        stdout.WriteLine($"{output}: imported {model.TreeCount} trees over {model.Schema.Count} features");
        return ModelCommand.Ok;
    }
}
