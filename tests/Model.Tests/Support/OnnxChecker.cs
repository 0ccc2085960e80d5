using CartRecovery.TestSupport;

namespace CartRecovery.Model.Tests.Support;

/// <summary>
/// The ONNX project's own validator (Debian's python3-onnx, onnx.checker.check_model with full_check, which also
/// runs shape inference) on a model file. A missing interpreter or module fails the test rather than skipping it.
/// </summary>
public static class OnnxChecker
{
    private const string Script = """
        import sys, onnx
        model = onnx.load(sys.argv[1])
        onnx.checker.check_model(model, full_check=True)
        print('ok', model.ir_version, ','.join(f'{o.domain or "ai.onnx"}:{o.version}' for o in model.opset_import))
        """;

    /// <returns>"ok", the IR version and the opsets, as the checker printed them.</returns>
    public static string Check(byte[] model)
    {
        using var dir = new TempDirectory("cr-model-");
        var path = dir.File("model.onnx");
        File.WriteAllBytes(path, model);
        return PythonXgboost.Run(dir.Path, Script, path).Trim();
    }
}
