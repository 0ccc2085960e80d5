using System.Text;
using System.Text.Json;
using CartRecovery.Model.Evaluation;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Registry;

/// <summary>
/// JSON forms of the descriptive columns. Metrics use the model file's own shape; the feature importance rides
/// in the metrics column (an object under "feature_importance") so the table needs no new column.
/// </summary>
internal static class ModelVersionJson
{
    private const string Importance = "feature_importance";

    public static string Features(OnnxModel model) => JsonSerializer.Serialize(model.Features.Select(f => f.Name).ToArray());

    public static string HyperParameters(IReadOnlyDictionary<string, double> values) =>
        JsonSerializer.Serialize(new SortedDictionary<string, double>(values.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal));

    public static string Metrics(ModelMetrics? metrics, IReadOnlyDictionary<string, double>? importance)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            if (metrics is null)
            {
                w.WriteStartObject();
                w.WriteEndObject();
            }
            else
            {
                MetricsJson.Write(w, metrics);
            }
        }

        var json = Encoding.UTF8.GetString(buffer.ToArray());
        if (importance is null)
        {
            return json;
        }

        // Splice the importance object in before the closing brace: MetricsJson owns the metrics shape.
        var gains = JsonSerializer.Serialize(new SortedDictionary<string, double>(importance.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal));
        return json.Length > 2 ? $"{json[..^1]},\"{Importance}\":{gains}}}" : $"{{\"{Importance}\":{gains}}}";
    }

    public static IReadOnlyList<string> ParseFeatures(string json) => JsonSerializer.Deserialize<string[]>(json) ?? [];

    public static IReadOnlyDictionary<string, double> ParseHyperParameters(string json) =>
        JsonSerializer.Deserialize<SortedDictionary<string, double>>(json) ?? new SortedDictionary<string, double>();

    public static ModelMetrics? ParseMetrics(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("auc", out _) ? MetricsJson.Read(doc.RootElement) : null;
    }

    public static IReadOnlyDictionary<string, double>? ParseImportance(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty(Importance, out var gains) && gains.ValueKind == JsonValueKind.Object
            ? gains.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble(), StringComparer.Ordinal)
            : null;
    }

    /// <summary>The AUC alone, NaN when absent or null.</summary>
    public static double Auc(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("auc", out var auc) && auc.ValueKind == JsonValueKind.Number ? auc.GetDouble() : double.NaN;
    }

    public static string Status(ModelStatus s) => s switch
    {
        ModelStatus.Candidate => "candidate",
        ModelStatus.Active => "active",
        _ => "retired",
    };

    public static ModelStatus ParseStatus(string s) => s switch
    {
        "candidate" => ModelStatus.Candidate,
        "active" => ModelStatus.Active,
        "retired" => ModelStatus.Retired,
        _ => throw new InvalidDataException($"model_versions.status '{s}' is not candidate/active/retired"),
    };
}
