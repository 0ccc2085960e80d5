using System.Globalization;
using System.Text.Json;
using CartRecovery.Model.Data;
using CartRecovery.Model.Evaluation;

namespace CartRecovery.Model.Scoring;

/// <summary>Reads the "model" object written by <see cref="ModelJsonWriter"/>; every structural problem is a FormatException.</summary>
internal static class ModelJsonReader
{
    public static GbdtModel Read(JsonElement m)
    {
        var features = new List<FeatureInfo>();
        foreach (var f in Array(m, "features").EnumerateArray())
        {
            var name = String(f, "name");
            var kind = String(f, "kind") switch
            {
                "numeric" => FeatureKind.Numeric,
                "boolean" => FeatureKind.Boolean,
                "categorical" => FeatureKind.Categorical,
                var other => throw new FormatException($"feature '{name}' has unknown kind '{other}'"),
            };
            var categories = kind == FeatureKind.Categorical
                ? Array(f, "categories").EnumerateArray().Select(c => c.GetString() ?? throw new FormatException("null category")).ToArray()
                : null;
            features.Add(new FeatureInfo(name, kind, categories));
        }

        var hyper = new SortedDictionary<string, double>(StringComparer.Ordinal);
        if (m.TryGetProperty("hyper_parameters", out var hp))
        {
            foreach (var p in hp.EnumerateObject())
            {
                hyper[p.Name] = p.Value.GetDouble();
            }
        }

        DateTimeOffset? from = null, to = null;
        if (m.TryGetProperty("training_window", out var window))
        {
            from = Time(window, "from");
            to = Time(window, "to");
        }

        var trees = Array(m, "trees").EnumerateArray().Select(ReadTree).ToList();
        var metadata = new ModelMetadata
        {
            Algorithm = String(m, "algorithm"),
            LabelName = m.TryGetProperty("label", out var label) ? label.GetString() : null,
            HyperParameters = hyper,
            TrainingFrom = from,
            TrainingTo = to,
            Metrics = m.TryGetProperty("metrics", out var metrics) ? ReadMetrics(metrics) : null,
            BestIteration = m.TryGetProperty("best_iteration", out var best) ? best.GetInt32() : null,
        };
        return new GbdtModel(new DatasetSchema(features), Number(m, "base_margin"), trees, metadata);
    }

    public static ModelMetrics ReadMetrics(JsonElement m)
    {
        var bins = Array(m, "calibration").EnumerateArray()
            .Select(b => new CalibrationBin(
                b.GetProperty("lower").GetDouble(),
                b.GetProperty("upper").GetDouble(),
                b.GetProperty("count").GetInt32(),
                NumberOrNaN(b, "mean_predicted"),
                NumberOrNaN(b, "observed_rate")))
            .ToList();
        return new ModelMetrics(
            NumberOrNaN(m, "auc"),
            NumberOrNaN(m, "pr_auc"),
            NumberOrNaN(m, "log_loss"),
            m.GetProperty("rows").GetInt32(),
            m.GetProperty("positives").GetInt32(),
            bins);
    }

    private static RegressionTree ReadTree(JsonElement t) => new(
        Ints(t, "feature"),
        Floats(t, "value"),
        Ints(t, "left"),
        Ints(t, "right"),
        Ints(t, "default_left").Select(d => d != 0).ToArray(),
        Floats(t, "gain"),
        Floats(t, "cover"));

    private static int[] Ints(JsonElement e, string name) => Array(e, name).EnumerateArray().Select(x => x.GetInt32()).ToArray();

    private static float[] Floats(JsonElement e, string name) => Array(e, name).EnumerateArray().Select(x => x.GetSingle()).ToArray();

    private static JsonElement Array(JsonElement e, string name) =>
        e.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a : throw new FormatException($"\"{name}\" must be an array");

    private static string String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : throw new FormatException($"\"{name}\" must be a string");

    private static float Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var n) && n.ValueKind == JsonValueKind.Number ? n.GetSingle() : throw new FormatException($"\"{name}\" must be a number");

    private static double NumberOrNaN(JsonElement e, string name) =>
        e.TryGetProperty(name, out var n) && n.ValueKind == JsonValueKind.Number ? n.GetDouble() : double.NaN;

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        e.TryGetProperty(name, out var t) && t.ValueKind == JsonValueKind.String
            ? DateTimeOffset.Parse(t.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)
            : null;
}
