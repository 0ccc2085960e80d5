using System.Globalization;
using System.Text.Json;
using CartRecovery.Model.Data;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Xgboost;

/// <summary>
/// Converts a model saved by XGBoost's <c>Booster.save_model("x.json")</c> (gbtree, binary:logistic) into an ONNX
/// tree ensemble whose predictions match XGBoost's: the same float32 "x &lt; split_condition" test, missing
/// values to default_left, leaf outputs summed onto logit(base_score), then the logistic function.
/// </summary>
public static class XgboostImporter
{
    public static OnnxModel Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"{path}: cannot read XGBoost model: {e.Message}", e);
        }

        return Parse(bytes, path);
    }

    public static OnnxModel Parse(ReadOnlyMemory<byte> json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            return Read(doc.RootElement, source);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{source}: not valid JSON ({e.Message})", e);
        }
        catch (ImportException e)
        {
            throw new ModelFormatException($"{source}: {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            // A value of the wrong JSON kind (a string where a number belongs, an empty feature name).
            throw new ModelFormatException($"{source}: not an XGBoost model this converter understands: {e.Message}", e);
        }
    }

    private static OnnxModel Read(JsonElement root, string source)
    {
        var learner = Get(root, "learner", "learner");
        var booster = Get(learner, "gradient_booster", "learner.gradient_booster");
        var boosterName = booster.TryGetProperty("name", out var bn) ? bn.GetString() : null;
        if (boosterName != "gbtree")
        {
            throw new ImportException($"learner.gradient_booster.name is '{boosterName}': only gbtree is supported");
        }

        var objective = learner.TryGetProperty("objective", out var obj) && obj.TryGetProperty("name", out var on) ? on.GetString() : null;
        if (objective != "binary:logistic")
        {
            throw new ImportException($"learner.objective.name is '{objective}': only binary:logistic is supported");
        }

        var param = Get(learner, "learner_model_param", "learner.learner_model_param");
        foreach (var multi in new[] { "num_class", "num_target" })
        {
            if (param.TryGetProperty(multi, out var v) && ParseNumber(v, $"learner.learner_model_param.{multi}") > 1)
            {
                throw new ImportException($"learner.learner_model_param.{multi} > 1: only single-output binary models are supported");
            }
        }

        var featureCount = (int)ParseNumber(Get(param, "num_feature", "learner.learner_model_param.num_feature"), "learner.learner_model_param.num_feature");
        var baseScore = (float)ParseNumber(Get(param, "base_score", "learner.learner_model_param.base_score"), "learner.learner_model_param.base_score");
        if (baseScore is <= 0 or >= 1)
        {
            throw new ImportException($"learner.learner_model_param.base_score {baseScore} is not a probability in (0, 1)");
        }

        // For binary:logistic base_score is a probability; XGBoost turns it into a margin in float32.
        var baseMargin = -MathF.Log((1f / baseScore) - 1f);
        if (featureCount < 1)
        {
            throw new ImportException($"learner.learner_model_param.num_feature is {featureCount}: a model needs at least one feature");
        }

        var names = FeatureNames(learner, featureCount);
        FeatureInfo[] features;
        try
        {
            features = names.Select(n => new FeatureInfo(n, FeatureKind.Numeric)).ToArray();
            _ = new DatasetSchema(features);
        }
        catch (ArgumentException e)
        {
            throw new ImportException($"learner.feature_names: {e.Message}");
        }

        var trees = new List<EnsembleTree>();
        var gain = new double[featureCount];
        var treesElement = Get(Get(booster, "model", "learner.gradient_booster.model"), "trees", "learner.gradient_booster.model.trees");
        if (treesElement.ValueKind != JsonValueKind.Array)
        {
            throw new ImportException("learner.gradient_booster.model.trees is not an array");
        }

        var index = 0;
        foreach (var t in treesElement.EnumerateArray())
        {
            trees.Add(XgboostTreeReader.Read(t, $"learner.gradient_booster.model.trees[{index}]", featureCount, gain));
            index++;
        }

        if (trees.Count == 0)
        {
            throw new ImportException("learner.gradient_booster.model.trees is empty");
        }

        var info = new ModelInfo
        {
            Algorithm = "xgboost",
            Features = features,
            HyperParameters = new SortedDictionary<string, double>(StringComparer.Ordinal) { ["base_score"] = baseScore, ["trees"] = trees.Count },
            FeatureImportance = Enumerable.Range(0, featureCount).ToDictionary(i => names[i], i => gain[i], StringComparer.Ordinal),
        };
        return OnnxModel.FromGraph(TreeEnsembleOnnx.Write(trees, baseMargin, featureCount, "xgboost"), info, source);
    }

    private static string[] FeatureNames(JsonElement learner, int count)
    {
        if (learner.TryGetProperty("feature_names", out var fn) && fn.ValueKind == JsonValueKind.Array && fn.GetArrayLength() > 0)
        {
            var names = fn.EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
            if (names.Length != count)
            {
                throw new ImportException($"learner.feature_names has {names.Length} names but num_feature is {count}");
            }

            return names;
        }

        // XGBoost's own default names, so CSV headers written from a bare numpy matrix still line up.
        return Enumerable.Range(0, count).Select(i => "f" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
    }

    internal static JsonElement Get(JsonElement e, string name, string path) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : throw new ImportException($"{path} is missing");

    /// <summary>XGBoost writes many parameters as strings ("5E-1"), and since 2.0 some as "[5E-1]".</summary>
    internal static double ParseNumber(JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Number)
        {
            return e.GetDouble();
        }

        if (e.ValueKind == JsonValueKind.String
            && double.TryParse(e.GetString()!.Trim('[', ']', ' '), NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return d;
        }

        throw new ImportException($"{path} is not a number ({e.GetRawText()})");
    }
}

/// <summary>A structural problem in the XGBoost JSON; the message names the JSON path.</summary>
internal sealed class ImportException(string message) : Exception(message);
