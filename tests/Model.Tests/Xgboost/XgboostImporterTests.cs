using System.Text;
using CartRecovery.Model.Onnx;
using CartRecovery.Model.Tests.Support;
using CartRecovery.Model.Xgboost;

namespace CartRecovery.Model.Tests.Xgboost;

public sealed class XgboostImporterTests
{
    /// <summary>One stump on f1: x &lt; 0.5 (missing left) → −0.4, else 0.3; a node 3 left over from pruning.</summary>
    private const string Stump = """
        {"learner":{"feature_names":[],"gradient_booster":{"model":{"trees":[{"left_children":[1,-1,-1,-1],"right_children":[2,-1,-1,-1],
        "split_indices":[1,0,0,0],"split_conditions":[0.5,-0.4,0.3,9.0],"default_left":[1,0,0,0],"split_type":[0,0,0,0],
        "loss_changes":[2.5,0,0,0],"sum_hessian":[10,4,6,0]}]},"name":"gbtree"},
        "learner_model_param":{"base_score":"BASE","num_class":"0","num_feature":"2","num_target":"1"},
        "objective":{"name":"binary:logistic"}},"version":[1,7,4]}
        """;

    [Theory]
    [InlineData("5E-1")]
    [InlineData("[5E-1]")]
    public void Follows_xgboost_split_rule_missing_direction_and_base_score(string baseScore)
    {
        var model = Parse(Stump.Replace("BASE", baseScore, StringComparison.Ordinal));
        Assert.Equal(["f0", "f1"], model.Features.Select(f => f.Name));
        using var scorer = model.CreateScorer();
        Assert.Equal(Sigmoid(-0.4f), scorer.Score([0f, 0.49f]), 6);
        Assert.Equal(Sigmoid(0.3f), scorer.Score([0f, 0.5f]), 6);
        Assert.Equal(Sigmoid(-0.4f), scorer.Score([0f, float.NaN]), 6);
        Assert.Equal(2.5, model.Info.FeatureImportance!["f1"], 6);
        Assert.Equal("xgboost", model.Info.Algorithm);
    }

    [Fact]
    public void Missing_values_follow_each_nodes_default_direction()
    {
        // The same stump with missing values sent right: NaN now scores like a large value.
        var model = Parse(Stump.Replace("BASE", "5E-1", StringComparison.Ordinal).Replace("\"default_left\":[1,0,0,0]", "\"default_left\":[0,0,0,0]", StringComparison.Ordinal));
        using var scorer = model.CreateScorer();
        Assert.Equal(Sigmoid(0.3f), scorer.Score([0f, float.NaN]), 6);
        Assert.Equal(Sigmoid(-0.4f), scorer.Score([0f, 0.1f]), 6);
    }

    [Fact]
    public void Written_graph_passes_the_onnx_checker_with_one_float_input_and_a_probability_output()
    {
        var model = Parse(Stump.Replace("BASE", "5E-1", StringComparison.Ordinal));
        Assert.StartsWith("ok 8 ai.onnx:13,ai.onnx.ml:3", OnnxChecker.Check(model.ToBytes()));
        Assert.Equal(new OnnxContract("features", 2, false, "probability", 2, 1, 0), model.Contract);
    }

    [Fact]
    public void Base_score_is_a_probability_turned_into_a_margin()
    {
        var model = Parse(Stump.Replace("BASE", "2E-1", StringComparison.Ordinal));
        using var scorer = model.CreateScorer();
        Assert.Equal(0.2f / 0.8f * MathF.Exp(0.3f) / (1 + (0.25f * MathF.Exp(0.3f))), scorer.Score([0f, 1f]), 5);
    }

    [Theory]
    [InlineData("\"binary:logistic\"", "\"reg:squarederror\"", "objective.name is 'reg:squarederror'")]
    [InlineData("\"name\":\"gbtree\"", "\"name\":\"dart\"", "only gbtree")]
    [InlineData("\"split_type\":[0,0,0,0]", "\"split_type\":[1,0,0,0]", "categorical splits")]
    [InlineData("\"split_indices\":[1,0,0,0]", "\"split_indices\":[7,0,0,0]", "split_indices[0] = 7")]
    [InlineData("\"right_children\":[2,-1,-1,-1]", "\"right_children\":[2,-1,-1]", "right_children has 3 values")]
    [InlineData("\"right_children\":[2,-1,-1,-1]", "\"right_children\":[0,-1,-1,-1]", "reached twice")]
    [InlineData("\"num_feature\":\"2\"", "\"num_features\":\"2\"", "num_feature is missing")]
    [InlineData("\"num_feature\":\"2\"", "\"num_feature\":\"0\"", "num_feature is 0")]
    [InlineData("\"feature_names\":[]", "\"feature_names\":[\"a\",\"a\"]", "feature 'a' appears twice")]
    public void Rejects_unsupported_or_damaged_models_naming_the_field(string find, string replace, string expected)
    {
        var json = Stump.Replace("BASE", "5E-1", StringComparison.Ordinal).Replace(find, replace, StringComparison.Ordinal);
        var e = Assert.Throws<ModelFormatException>(() => Parse(json));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("test.json: ", e.Message);
    }

    [Fact]
    public void Rejects_truncated_json()
    {
        var json = Stump.Replace("BASE", "5E-1", StringComparison.Ordinal);
        Assert.Contains("not valid JSON", Assert.Throws<ModelFormatException>(() => Parse(json[..(json.Length / 2)])).Message);
    }

    private static OnnxModel Parse(string json) => XgboostImporter.Parse(Encoding.UTF8.GetBytes(json), "test.json");

    private static float Sigmoid(float margin) => 1f / (1f + MathF.Exp(-margin));
}
