using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Cli;

/// <summary>model import: bring any binary classifier saved as ONNX (scikit-learn, ONNXMLTools, ML.NET, ...).</summary>
internal static class ImportOnnxCommand
{
    public const string Usage =
        "model import --onnx MODEL.onnx [--features NAME1,NAME2,...]\n" + ImportTarget.Usage + "\n" +
        "  The model must take one float tensor [N, F] and output the positive class's probability as a float\n" +
        "  tensor [N], [N, 1] or [N, 2]. Its columns are named by its feature_names metadata, else by --features,\n" +
        "  else (with --registry) they are the serving feature set in order; F must match.";

    public static readonly string[] Options = ["onnx", "features", .. ImportTarget.Options];

    public static Task<int> RunAsync(CliArguments a, IReadOnlyList<string>? servingFeatures, TextWriter stdout, CancellationToken ct)
    {
        ImportTarget.CheckArguments(a);
        var path = a.Required("onnx");
        var named = a.List("features");
        var model = OnnxModel.Load(path, named.Length > 0 ? named : a.Optional("registry") is not null ? servingFeatures : null);
        return ImportTarget.FinishAsync(model, path, a, servingFeatures, stdout, ct);
    }
}
