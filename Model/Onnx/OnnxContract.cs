using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace CartRecovery.Model.Onnx;

/// <summary>
/// How a served model is called: one float tensor input [N, F] (N dynamic, or fixed at 1) and one float output
/// holding the positive class's probability, shaped [N], [N, 1] or [N, 2] (then column 1, as classifiers
/// exported from scikit-learn or ONNXMLTools with zipmap off give it). Anything else is refused with a message
/// naming the input or output and what is wrong with it.
/// </summary>
public sealed record OnnxContract(string InputName, int FeatureCount, bool SingleRowOnly, string OutputName, int OutputRank, int OutputWidth, int OutputColumn)
{
    /// <exception cref="ModelFormatException">The session's inputs or outputs do not fit.</exception>
    public static OnnxContract Inspect(InferenceSession session, string source)
    {
        var inputs = session.InputMetadata;
        if (inputs.Count != 1)
        {
            throw new ModelFormatException(
                $"{source}: the model has {inputs.Count} inputs ({Describe(inputs)}); a served model takes exactly one float tensor [N, F]");
        }

        var (inputName, input) = inputs.Single();
        if (!input.IsTensor || input.ElementDataType != TensorElementType.Float)
        {
            throw new ModelFormatException($"{source}: input '{inputName}' is {Describe(input)}; expected a float tensor [N, F]");
        }

        var dims = input.Dimensions;
        if (dims.Length != 2 || dims[1] <= 0)
        {
            throw new ModelFormatException($"{source}: input '{inputName}' has shape {Shape(input)}; expected [N, F] with a fixed feature count F");
        }

        if (dims[0] > 1)
        {
            throw new ModelFormatException($"{source}: input '{inputName}' has a fixed batch size of {dims[0]} (shape {Shape(input)}); expected N dynamic or 1");
        }

        var candidates = session.OutputMetadata.Where(o => IsProbability(o.Value)).ToList();
        if (candidates.Count > 1)
        {
            candidates = candidates.Where(o => o.Key.Contains("prob", StringComparison.OrdinalIgnoreCase)).ToList();
        }

        if (candidates.Count != 1)
        {
            throw new ModelFormatException(
                $"{source}: cannot tell which output is the probability (outputs: {Describe(session.OutputMetadata)}); expected one float tensor [N], [N, 1] or [N, 2]" +
                (session.OutputMetadata.Values.Any(o => !o.IsTensor) ? " (a sequence or map output is a ZipMap: export the classifier with zipmap disabled)" : ""));
        }

        var (outputName, output) = candidates[0];
        var width = output.Dimensions.Length == 1 ? 1 : output.Dimensions[1];
        return new OnnxContract(inputName, dims[1], dims[0] == 1, outputName, output.Dimensions.Length, width, width == 2 ? 1 : 0);
    }

    private static bool IsProbability(NodeMetadata m) =>
        m.IsTensor && m.ElementDataType == TensorElementType.Float
        && (m.Dimensions.Length == 1 || (m.Dimensions.Length == 2 && m.Dimensions[1] is 1 or 2));

    private static string Describe(IReadOnlyDictionary<string, NodeMetadata> nodes) =>
        string.Join(", ", nodes.Select(n => $"'{n.Key}' {Describe(n.Value)}"));

    private static string Describe(NodeMetadata m) => m.OnnxValueType switch
    {
        OnnxValueType.ONNX_TYPE_TENSOR => $"{m.ElementDataType.ToString().ToLowerInvariant()} {Shape(m)}",
        OnnxValueType.ONNX_TYPE_SEQUENCE => "a sequence",
        OnnxValueType.ONNX_TYPE_MAP => "a map",
        var other => other.ToString(),
    };

    private static string Shape(NodeMetadata m) =>
        "[" + string.Join(", ", m.Dimensions.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : m.SymbolicDimensions is { } s && i < s.Length && s[i].Length > 0 ? s[i] : "?")) + "]";
}
