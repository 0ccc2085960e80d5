using System.CommandLine;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Cli;

/// <summary>model import: bring any binary classifier saved as ONNX (scikit-learn, ONNXMLTools, ML.NET, ...).</summary>
internal static class ImportOnnxCommand
{
    public static Command Create(IReadOnlyList<string>? servingFeatures)
    {
        var onnx = CliOptions.Text("--onnx", "MODEL.onnx", "the model: one float tensor [N, F] in, the positive class's probability out as [N], [N, 1] or [N, 2]", required: true);
        var features = CliOptions.List("--features", "NAME1,NAME2", "names of the model's F columns when its feature_names metadata has none (without either, a registered model takes the serving feature set in order)");
        var target = new ImportTarget();
        var command = new Command("import", "Check a binary classifier saved as ONNX (scikit-learn, ONNXMLTools, ML.NET, ...) and write it (--out) or register it (--registry)")
        {
            onnx, features,
        };
        target.AddTo(command);
        command.SetAction(ModelCommand.Run((r, stdout, _, ct) =>
        {
            var path = r.GetRequiredValue(onnx);
            var named = r.GetValue(features) ?? [];
            var model = OnnxModel.Load(path, named.Length > 0 ? named : target.ToRegistry(r) ? servingFeatures : null);
            return target.FinishAsync(model, path, r, servingFeatures, stdout, ct);
        }));
        return command;
    }
}
