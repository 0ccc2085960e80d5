using System.Text.Json;

namespace CartRecovery.Model.Evaluation;

/// <summary>
/// The JSON shape of <see cref="ModelMetrics"/>, shared by the model file's metadata and the registry's metrics
/// column. Undefined metrics (NaN, e.g. AUC on a single class) are written as null because JSON has no NaN.
/// </summary>
internal static class MetricsJson
{
    public static void Write(Utf8JsonWriter w, ModelMetrics m)
    {
        w.WriteStartObject();
        NumberOrNull(w, "auc", m.Auc);
        NumberOrNull(w, "pr_auc", m.PrAuc);
        NumberOrNull(w, "log_loss", m.LogLoss);
        w.WriteNumber("rows", m.Rows);
        w.WriteNumber("positives", m.Positives);
        w.WriteStartArray("calibration");
        foreach (var bin in m.Calibration)
        {
            w.WriteStartObject();
            w.WriteNumber("lower", bin.Lower);
            w.WriteNumber("upper", bin.Upper);
            w.WriteNumber("count", bin.Count);
            NumberOrNull(w, "mean_predicted", bin.MeanPredicted);
            NumberOrNull(w, "observed_rate", bin.ObservedRate);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static ModelMetrics Read(JsonElement m)
    {
        var bins = m.TryGetProperty("calibration", out var c) && c.ValueKind == JsonValueKind.Array
            ? c.EnumerateArray().Select(b => new CalibrationBin(
                b.GetProperty("lower").GetDouble(),
                b.GetProperty("upper").GetDouble(),
                b.GetProperty("count").GetInt32(),
                NumberOrNaN(b, "mean_predicted"),
                NumberOrNaN(b, "observed_rate"))).ToList()
            : [];
        return new ModelMetrics(
            NumberOrNaN(m, "auc"),
            NumberOrNaN(m, "pr_auc"),
            NumberOrNaN(m, "log_loss"),
            m.GetProperty("rows").GetInt32(),
            m.GetProperty("positives").GetInt32(),
            bins);
    }

    public static void NumberOrNull(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    public static double NumberOrNaN(JsonElement e, string name) =>
        e.TryGetProperty(name, out var n) && n.ValueKind == JsonValueKind.Number ? n.GetDouble() : double.NaN;
}
