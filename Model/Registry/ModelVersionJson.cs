using System.Text;
using System.Text.Json;
using CartRecovery.Model.Evaluation;
using CartRecovery.Model.Scoring;

namespace CartRecovery.Model.Registry;

/// <summary>JSON forms of the descriptive columns; metrics use the model file's own shape.</summary>
internal static class ModelVersionJson
{
    public static string Features(GbdtModel model) => JsonSerializer.Serialize(model.Features.Select(f => f.Name).ToArray());

    public static string HyperParameters(IReadOnlyDictionary<string, double> values) =>
        JsonSerializer.Serialize(new SortedDictionary<string, double>(values.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal));

    public static string Metrics(ModelMetrics? metrics)
    {
        if (metrics is null)
        {
            return "{}";
        }

        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            ModelJsonWriter.WriteMetrics(w, metrics);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static IReadOnlyList<string> ParseFeatures(string json) => JsonSerializer.Deserialize<string[]>(json) ?? [];

    public static IReadOnlyDictionary<string, double> ParseHyperParameters(string json) =>
        JsonSerializer.Deserialize<SortedDictionary<string, double>>(json) ?? new SortedDictionary<string, double>();

    public static ModelMetrics? ParseMetrics(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("auc", out _) ? ModelJsonReader.ReadMetrics(doc.RootElement) : null;
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
