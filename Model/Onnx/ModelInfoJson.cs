using System.Globalization;
using System.Text;
using System.Text.Json;
using CartRecovery.Model.Data;
using CartRecovery.Model.Evaluation;

namespace CartRecovery.Model.Onnx;

/// <summary>
/// <see cref="ModelInfo"/> as the JSON value of the model file's "cartrecovery.model" metadata entry. Property
/// order and number formatting are fixed so equal models give equal bytes.
/// </summary>
internal static class ModelInfoJson
{
    public const int FormatVersion = 2;

    public static string Write(ModelInfo info)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("format_version", FormatVersion);
            w.WriteString("algorithm", info.Algorithm);
            w.WriteString("objective", "binary:logistic");
            if (info.LabelName is not null)
            {
                w.WriteString("label", info.LabelName);
            }

            WriteFeatures(w, info.Features);
            WriteNumbers(w, "hyper_parameters", info.HyperParameters);
            if (info.TrainingFrom is not null || info.TrainingTo is not null)
            {
                w.WriteStartObject("training_window");
                WriteTime(w, "from", info.TrainingFrom);
                WriteTime(w, "to", info.TrainingTo);
                w.WriteEndObject();
            }

            if (info.Metrics is not null)
            {
                w.WritePropertyName("metrics");
                MetricsJson.Write(w, info.Metrics);
            }

            if (info.BestIteration is { } best)
            {
                w.WriteNumber("best_iteration", best);
            }

            if (info.FeatureImportance is not null)
            {
                WriteNumbers(w, "feature_importance", info.FeatureImportance);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <exception cref="FormatException">The JSON is not a model description this version understands.</exception>
    public static ModelInfo Read(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var m = doc.RootElement;
            if (m.TryGetProperty("format_version", out var v) && v.GetInt32() > FormatVersion)
            {
                throw new FormatException($"format_version {v.GetInt32()} is newer than this reader ({FormatVersion})");
            }

            return new ModelInfo
            {
                Algorithm = String(m, "algorithm"),
                LabelName = m.TryGetProperty("label", out var label) ? label.GetString() : null,
                Features = Array(m, "features").EnumerateArray().Select(ReadFeature).ToList(),
                HyperParameters = ReadNumbers(m, "hyper_parameters") ?? new SortedDictionary<string, double>(StringComparer.Ordinal),
                TrainingFrom = m.TryGetProperty("training_window", out var window) ? Time(window, "from") : null,
                TrainingTo = m.TryGetProperty("training_window", out var w2) ? Time(w2, "to") : null,
                Metrics = m.TryGetProperty("metrics", out var metrics) ? MetricsJson.Read(metrics) : null,
                BestIteration = m.TryGetProperty("best_iteration", out var best) ? best.GetInt32() : null,
                FeatureImportance = ReadNumbers(m, "feature_importance"),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            throw new FormatException(e.Message, e);
        }
    }

    private static FeatureInfo ReadFeature(JsonElement f)
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
        return new FeatureInfo(name, kind, categories);
    }

    private static void WriteFeatures(Utf8JsonWriter w, IReadOnlyList<FeatureInfo> features)
    {
        w.WriteStartArray("features");
        foreach (var f in features)
        {
            w.WriteStartObject();
            w.WriteString("name", f.Name);
            w.WriteString("kind", f.Kind switch
            {
                FeatureKind.Numeric => "numeric",
                FeatureKind.Boolean => "boolean",
                _ => "categorical",
            });
            if (f.Kind == FeatureKind.Categorical)
            {
                w.WriteStartArray("categories");
                foreach (var c in f.Categories)
                {
                    w.WriteStringValue(c);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteNumbers(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, double> values)
    {
        w.WriteStartObject(name);
        foreach (var (key, value) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.WriteNumber(key, double.IsFinite(value) ? value : throw new InvalidOperationException($"{name}.{key} is not finite"));
        }

        w.WriteEndObject();
    }

    private static SortedDictionary<string, double>? ReadNumbers(JsonElement m, string name)
    {
        if (!m.TryGetProperty(name, out var o) || o.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var p in o.EnumerateObject())
        {
            result[p.Name] = p.Value.GetDouble();
        }

        return result;
    }

    private static void WriteTime(Utf8JsonWriter w, string name, DateTimeOffset? time)
    {
        if (time is { } t)
        {
            w.WriteString(name, t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static JsonElement Array(JsonElement e, string name) =>
        e.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a : throw new FormatException($"\"{name}\" must be an array");

    private static string String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : throw new FormatException($"\"{name}\" must be a string");

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        e.TryGetProperty(name, out var t) && t.ValueKind == JsonValueKind.String
            ? DateTimeOffset.Parse(t.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)
            : null;
}
