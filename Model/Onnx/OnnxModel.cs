using System.Globalization;
using CartRecovery.Model.Data;

namespace CartRecovery.Model.Onnx;

/// <summary>
/// A served model: an ONNX graph that ONNX Runtime has loaded and whose input and output fit
/// <see cref="OnnxContract"/>, with our <see cref="ModelInfo"/> stamped into the file. Immutable; scoring goes
/// through an <see cref="OnnxScorer"/> made by <see cref="CreateScorer"/>.
/// </summary>
public sealed class OnnxModel
{
    /// <summary>A metadata_props key a foreign model may set to name its input columns ("a,b,c").</summary>
    public const string FeatureNamesKey = "feature_names";

    private readonly byte[] _graph;
    private byte[]? _bytes;

    private OnnxModel(byte[] graph, ModelInfo info, OnnxContract contract)
    {
        _graph = graph;
        Info = info;
        Contract = contract;
    }

    public ModelInfo Info { get; }

    public OnnxContract Contract { get; }

    public IReadOnlyList<FeatureInfo> Features => Info.Features;

    public DatasetSchema Schema => Info.Schema;

    /// <summary>The model file: the graph as its producer wrote it, plus our metadata and checksum.</summary>
    public byte[] ToBytes() => _bytes ??= OnnxEnvelope.Seal(_graph, ModelInfoJson.Write(Info));

    public void Save(string path) => AtomicFile.WriteAllBytes(path, ToBytes());

    /// <summary>Same graph, new description (metrics after evaluation, a training window); the features must still fit the input.</summary>
    public OnnxModel WithInfo(ModelInfo info)
    {
        CheckFeatureCount(info.Features, Contract, "model");
        return new OnnxModel(_graph, info, Contract);
    }

    /// <param name="intraOpThreads">1 for per-event scoring (no thread pool hand-off); more for batch scoring.</param>
    public OnnxScorer CreateScorer(int intraOpThreads = 1) => OnnxScorer.Open(_graph, "model", intraOpThreads);

    public static OnnxModel Load(string path, IReadOnlyList<string>? assumedFeatures = null)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"{path}: cannot read model file: {e.Message}", e);
        }

        return Parse(bytes, path, assumedFeatures);
    }

    /// <summary>
    /// Verifies and loads a model file. The feature list comes from our metadata when the file has it, else from a
    /// "feature_names" metadata entry, else from <paramref name="assumedFeatures"/>, else XGBoost's f0, f1, ...;
    /// in every case its length must equal the input's feature count.
    /// </summary>
    /// <param name="source">File name or other origin, used in error messages.</param>
    /// <exception cref="ModelFormatException">Corrupt, not ONNX, not loadable, or not a binary classifier of the expected shape.</exception>
    public static OnnxModel Parse(byte[] bytes, string source, IReadOnlyList<string>? assumedFeatures = null)
    {
        var opened = OnnxEnvelope.Open(bytes, source);
        var contract = Probe(opened.Core, source);
        ModelInfo info;
        if (opened.InfoJson is { } json)
        {
            try
            {
                info = ModelInfoJson.Read(json);
            }
            catch (FormatException e)
            {
                throw new ModelFormatException($"{source}: invalid {OnnxEnvelope.InfoKey} metadata: {e.Message}", e);
            }

            CheckFeatureCount(info.Features, contract, source);
        }
        else
        {
            info = new ModelInfo { Features = DeclaredFeatures(opened.Properties, contract, source, assumedFeatures) };
        }

        return new OnnxModel(opened.Core, info, contract) { _bytes = opened.InfoJson is null ? null : bytes };
    }

    /// <summary>Wraps a graph we produced (trainer export, XGBoost conversion): it is loaded and checked like any file.</summary>
    internal static OnnxModel FromGraph(byte[] graph, ModelInfo info, string source)
    {
        var contract = Probe(graph, source);
        CheckFeatureCount(info.Features, contract, source);
        return new OnnxModel(graph, info, contract);
    }

    /// <summary>Loads the graph once in ONNX Runtime and scores an all-zero row: the output must be a probability.</summary>
    private static OnnxContract Probe(byte[] graph, string source)
    {
        using var scorer = OnnxScorer.Open(graph, source, 1);
        var p = scorer.Score(new float[scorer.Contract.FeatureCount]);
        if (!(p is >= 0 and <= 1))
        {
            throw new ModelFormatException(
                $"{source}: output '{scorer.Contract.OutputName}' gave {p.ToString(CultureInfo.InvariantCulture)} for an all-zero row; a served model must output a probability in [0, 1]");
        }

        return scorer.Contract;
    }

    private static FeatureInfo[] DeclaredFeatures(IReadOnlyDictionary<string, string> properties, OnnxContract contract, string source, IReadOnlyList<string>? assumed)
    {
        string[] names;
        string origin;
        if (properties.TryGetValue(FeatureNamesKey, out var declared))
        {
            names = declared.Split(',', StringSplitOptions.TrimEntries);
            origin = $"its {FeatureNamesKey} metadata declares";
        }
        else if (assumed is not null)
        {
            names = [.. assumed];
            origin = "the serving feature set has";
        }
        else
        {
            names = Enumerable.Range(0, contract.FeatureCount).Select(i => "f" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
            origin = "";
        }

        if (names.Length != contract.FeatureCount)
        {
            throw new ModelFormatException(
                $"{source}: input '{contract.InputName}' takes {contract.FeatureCount} features but {origin} {names.Length} ({Preview(names)})" +
                (properties.ContainsKey(FeatureNamesKey) ? "" : $"; set the model's {FeatureNamesKey} metadata to name the columns it takes"));
        }

        try
        {
            var features = names.Select(n => new FeatureInfo(n, FeatureKind.Numeric)).ToArray();
            _ = new DatasetSchema(features);
            return features;
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"{source}: {FeatureNamesKey} metadata is invalid: {e.Message}", e);
        }
    }

    private static void CheckFeatureCount(IReadOnlyList<FeatureInfo> features, OnnxContract contract, string source)
    {
        if (features.Count != contract.FeatureCount)
        {
            throw new ModelFormatException(
                $"{source}: input '{contract.InputName}' takes {contract.FeatureCount} features but the model declares {features.Count} ({Preview(features.Select(f => f.Name))})");
        }
    }

    private static string Preview(IEnumerable<string> names)
    {
        var list = names.Take(9).ToList();
        return string.Join(", ", list.Take(8)) + (list.Count > 8 ? ", ..." : "");
    }
}
