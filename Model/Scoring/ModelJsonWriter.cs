using System.Text.Json;
using CartRecovery.Model.Data;
using CartRecovery.Model.Evaluation;

namespace CartRecovery.Model.Scoring;

/// <summary>Writes the "model" object. Property order and number formatting are fixed so equal models give equal bytes.</summary>
internal static class ModelJsonWriter
{
    public static byte[] Write(GbdtModel model)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            var meta = model.Metadata;
            w.WriteStartObject();
            w.WriteString("algorithm", meta.Algorithm);
            w.WriteString("objective", "binary:logistic");
            if (meta.LabelName is not null)
            {
                w.WriteString("label", meta.LabelName);
            }

            w.WriteNumber("base_margin", Finite(model.BaseMargin, "base_margin"));
            WriteFeatures(w, model.Features);
            w.WriteStartObject("hyper_parameters");
            foreach (var (name, value) in meta.HyperParameters.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                w.WriteNumber(name, Finite(value, name));
            }

            w.WriteEndObject();
            if (meta.TrainingFrom is not null || meta.TrainingTo is not null)
            {
                w.WriteStartObject("training_window");
                WriteTime(w, "from", meta.TrainingFrom);
                WriteTime(w, "to", meta.TrainingTo);
                w.WriteEndObject();
            }

            if (meta.Metrics is not null)
            {
                w.WritePropertyName("metrics");
                WriteMetrics(w, meta.Metrics);
            }

            if (meta.BestIteration is { } best)
            {
                w.WriteNumber("best_iteration", best);
            }

            w.WriteStartArray("trees");
            foreach (var tree in model.Trees)
            {
                WriteTree(w, tree);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Also used by the registry so the metrics column and the file agree.</summary>
    public static void WriteMetrics(Utf8JsonWriter w, ModelMetrics m)
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

    /// <summary>A metric is undefined (NaN) when, say, validation has one class only; JSON has no NaN, so null.</summary>
    private static void NumberOrNull(Utf8JsonWriter w, string name, double value)
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

    private static void WriteTree(Utf8JsonWriter w, RegressionTree tree)
    {
        w.WriteStartObject();
        WriteInts(w, "feature", tree.Feature);
        WriteFloats(w, "value", tree.Value);
        WriteInts(w, "left", tree.Left);
        WriteInts(w, "right", tree.Right);
        w.WriteStartArray("default_left");
        foreach (var d in tree.DefaultLeft)
        {
            w.WriteNumberValue(d ? 1 : 0);
        }

        w.WriteEndArray();
        WriteFloats(w, "gain", tree.Gain);
        WriteFloats(w, "cover", tree.Cover);
        w.WriteEndObject();
    }

    private static void WriteInts(Utf8JsonWriter w, string name, int[] values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteNumberValue(v);
        }

        w.WriteEndArray();
    }

    private static void WriteFloats(Utf8JsonWriter w, string name, float[] values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteNumberValue(Finite(v, name));
        }

        w.WriteEndArray();
    }

    private static void WriteTime(Utf8JsonWriter w, string name, DateTimeOffset? time)
    {
        if (time is { } t)
        {
            w.WriteString(name, t.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static float Finite(float v, string what) =>
        float.IsFinite(v) ? v : throw new InvalidOperationException($"cannot save a model with a non-finite {what}");

    private static double Finite(double v, string what) =>
        double.IsFinite(v) ? v : throw new InvalidOperationException($"cannot save a model with a non-finite {what}");
}
