using CartRecovery.Model.Xgboost;

namespace CartRecovery.Model.Cli;

/// <summary>model import-xgboost: convert an XGBoost JSON booster into an ONNX tree ensemble.</summary>
internal static class ImportXgboostCommand
{
    public const string Usage =
        "model import-xgboost --json XGB_MODEL.json\n" + ImportTarget.Usage + "\n" +
        "  Converts a Booster.save_model(\"model.json\") file (gbtree, binary:logistic) to ONNX; predictions match\n" +
        "  XGBoost's, missing values included. Columns are the booster's feature_names (else f0, f1, ...).";

    public static readonly string[] Options = ["json", .. ImportTarget.Options];

    public static Task<int> RunAsync(CliArguments a, IReadOnlyList<string>? servingFeatures, TextWriter stdout, CancellationToken ct)
    {
        ImportTarget.CheckArguments(a);
        var path = a.Required("json");
        return ImportTarget.FinishAsync(XgboostImporter.Load(path), path, a, servingFeatures, stdout, ct);
    }
}
