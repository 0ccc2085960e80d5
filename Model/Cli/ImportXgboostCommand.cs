using System.CommandLine;
using CartRecovery.Model.Xgboost;

namespace CartRecovery.Model.Cli;

/// <summary>model import-xgboost: convert an XGBoost JSON booster into an ONNX tree ensemble.</summary>
internal static class ImportXgboostCommand
{
    public static Command Create(IReadOnlyList<string>? servingFeatures)
    {
        var json = CliOptions.Text("--json", "XGB_MODEL.json", "a Booster.save_model(\"model.json\") file (gbtree, binary:logistic); its columns are its feature_names, else f0, f1, ...", required: true);
        var target = new ImportTarget();
        var command = new Command("import-xgboost", "Convert an XGBoost JSON booster to ONNX (predictions match XGBoost's, missing values included) and write it (--out) or register it (--registry)")
        {
            json,
        };
        target.AddTo(command);
        command.SetAction(ModelCommand.Run((r, stdout, _, ct) =>
        {
            var path = r.GetRequiredValue(json);
            return target.FinishAsync(XgboostImporter.Load(path), path, r, servingFeatures, stdout, ct);
        }));
        return command;
    }
}
