using CartRecovery.Model.Boosting;
using CartRecovery.Model.Data;
using CartRecovery.Model.Evaluation;
using CartRecovery.Model.Onnx;
using CartRecovery.Model.Tests.Support;
using CartRecovery.Model.Xgboost;
using Xunit.Abstractions;

namespace CartRecovery.Model.Tests.Xgboost;

/// <summary>Converted XGBoost models must score exactly like XGBoost; our trainer must rank at least as well.</summary>
public sealed class XgboostParityTests(XgboostScenarios scenarios, ITestOutputHelper output) : IClassFixture<XgboostScenarios>
{
    public static TheoryData<string> Names => new() { "cart-sessions", "all-sessions", "synthetic" };

    [Theory]
    [MemberData(nameof(Names))]
    public void Converted_model_reproduces_every_xgboost_prediction_in_onnx_runtime(string name)
    {
        var s = Scenario(name);
        var model = XgboostImporter.Parse(System.Text.Encoding.UTF8.GetBytes(s.ModelJson), name);
        Assert.Equal(s.Train.Schema.Features.Select(f => f.Name), model.Features.Select(f => f.Name));
        using (var scorer = model.CreateScorer())
        {
            output.WriteLine($"{name}: max |ours - xgboost| train {AssertMatches(scorer, s.Train, s.TrainPredictions):E2}, " +
                $"validation {AssertMatches(scorer, s.Validation, s.ValidationPredictions):E2}");
        }

        // The file we store is what ONNX's own checker accepts, and loading it back changes no prediction.
        var bytes = model.ToBytes();
        Assert.StartsWith("ok 8", OnnxChecker.Check(bytes));
        using var reloaded = OnnxModel.Parse(bytes, "reloaded").CreateScorer(2);
        AssertMatches(reloaded, s.Validation, s.ValidationPredictions);
    }

    [Fact]
    public void Parity_data_really_contains_missing_values_on_both_sides_of_splits()
    {
        var s = scenarios.Synthetic;
        var missing = Enumerable.Range(0, s.Train.Schema.Count).Sum(f => s.Train.GetColumn(f).ToArray().Count(float.IsNaN));
        Assert.True(missing > 100, $"only {missing} missing values");
        Assert.Contains("\"default_left\":[", s.ModelJson.Replace(" ", "", StringComparison.Ordinal));
        Assert.Contains("1", s.ModelJson.Split("\"default_left\":[")[1].Split(']')[0]);
        Assert.Contains("0", s.ModelJson.Split("\"default_left\":[")[1].Split(']')[0]);
    }

    /// <summary>
    /// Same time split, same rounds, depth, learning rate, min_child_weight, lambda and bins, no early stopping on
    /// either side; LightGBM gets 2^depth leaves. Both are histogram GBDTs, so AUCs differ by bin edges, leaf-wise
    /// versus depth-wise growth and tie-breaking. A strict "&gt;=" would be a coin flip, so ours may trail by at
    /// most two paired-bootstrap standard deviations of the AUC difference on these very rows (200 resamples),
    /// capped at 0.005 on the larger sets; on the 80-session cart set the cap is 0.03 (its validation part has
    /// about 25 rows, where one swapped pair moves the AUC by more than 0.005).
    /// </summary>
    [Theory]
    [InlineData("cart-sessions", 0.03)]
    [InlineData("all-sessions", 0.005)]
    [InlineData("synthetic", 0.005)]
    public void Our_trainer_ranks_at_least_as_well_as_xgboost(string name, double cap)
    {
        var s = Scenario(name);
        var options = new BoostingOptions
        {
            Rounds = s.Rounds,
            MaxDepth = s.Depth,
            NumberOfLeaves = 1 << s.Depth,
            LearningRate = s.Eta,
            MinChildWeight = s.MinChildWeight,
            MinExamplesPerLeaf = 1,
            Lambda = 1,
            MaxBins = 256,
            EarlyStoppingRounds = 0,
            Seed = 1,
        };
        var result = BoostingTrainer.Train(s.Train, s.Validation, options);
        using var scorer = result.Model.CreateScorer(2);
        var ours = scorer.ScoreAll(s.Validation);
        var labels = s.Validation.Labels!;
        var ourAuc = Metrics.Auc(ours, labels);
        var xgbAuc = Metrics.Auc(s.ValidationPredictions, labels);
        var sd = PairedBootstrap.AucDifferenceStdDev(ours, s.ValidationPredictions, labels);
        var tolerance = Math.Min(cap, 2 * sd);
        output.WriteLine($"{name}: lightgbm {ourAuc:F5} xgboost {xgbAuc:F5} diff {ourAuc - xgbAuc:+0.00000;-0.00000} sd(diff) {sd:F5} tolerance {tolerance:F5} " +
            $"({s.Train.RowCount} train / {s.Validation.RowCount} validation rows, {labels.Count(y => y > 0)} positive; {result.Trees} trees)");
        Assert.Equal(ourAuc, result.ValidationMetrics!.Auc, 12);
        Assert.True(ourAuc >= xgbAuc - tolerance, $"our AUC {ourAuc:F5} < xgboost {xgbAuc:F5} - {tolerance:F5}");
    }

    private XgboostScenario Scenario(string name) => name switch
    {
        "cart-sessions" => scenarios.CartSessions,
        "all-sessions" => scenarios.AllSessions,
        _ => scenarios.Synthetic,
    };

    /// <summary>Every row, through the single-row path and the batch path; returns the largest difference.</summary>
    private static double AssertMatches(OnnxScorer scorer, Dataset data, float[] expected)
    {
        Assert.Equal(data.RowCount, expected.Length);
        var batch = scorer.ScoreAll(data);
        var row = new float[data.Schema.Count];
        var worst = 0.0;
        for (var r = 0; r < data.RowCount; r++)
        {
            data.GetRow(r, row);
            var single = scorer.Score(row);
            worst = Math.Max(worst, Math.Max(Math.Abs(single - expected[r]), Math.Abs(batch[r] - expected[r])));
            Assert.True(Math.Abs(single - expected[r]) <= 1e-5, $"row {r}: ours {single} xgboost {expected[r]}");
            Assert.True(Math.Abs(batch[r] - expected[r]) <= 1e-5, $"row {r} (batch): ours {batch[r]} xgboost {expected[r]}");
        }

        return worst;
    }
}
