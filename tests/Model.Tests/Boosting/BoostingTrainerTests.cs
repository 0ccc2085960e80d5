using CartRecovery.Model.Boosting;
using CartRecovery.Model.Data;
using CartRecovery.Model.Tests.Support;
using CartRecovery.TestSupport;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CartRecovery.Model.Tests.Boosting;

public sealed class BoostingTrainerTests : IDisposable
{
    private readonly TempDirectory _dir = new("cr-model-");

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// The served ONNX graph must score exactly as ML.NET's own model does, on rows with missing numbers, unseen
    /// and missing categories included: ML.NET's exporter, not our code, writes the trees, so this is the check
    /// that the export (NaN handling, calibrator, leaf values) is faithful.
    /// </summary>
    [Theory]
    [InlineData(BoostingAlgorithm.LightGbm)]
    [InlineData(BoostingAlgorithm.FastTree)]
    public void Exported_onnx_scores_every_row_as_mlnet_does(BoostingAlgorithm algorithm)
    {
        var (train, validation) = Load(SyntheticData.Generate(4000, seed: 5)).SplitTail(0.25);
        var options = new BoostingOptions { Algorithm = algorithm, Rounds = 60, Seed = 2, Threads = 1 };
        var result = BoostingTrainer.Train(train, validation, options);
        Assert.Equal(algorithm == BoostingAlgorithm.LightGbm ? "lightgbm" : "fasttree", result.Model.Info.Algorithm);

        var ml = new MLContext(seed: options.Seed);
        var fitted = Learners.Fit(ml, options, MlNetData.Labelled(ml, train), MlNetData.Labelled(ml, validation));
        var expected = fitted.Transformer.Transform(MlNetData.Labelled(ml, validation)).GetColumn<float>("Probability").ToArray();
        using var scorer = result.Model.CreateScorer();
        var actual = scorer.ScoreAll(validation);
        var missingRows = 0;
        var row = new float[validation.Schema.Count];
        for (var r = 0; r < validation.RowCount; r++)
        {
            validation.GetRow(r, row);
            missingRows += row.Any(float.IsNaN) ? 1 : 0;
            Assert.True(Math.Abs(actual[r] - expected[r]) <= 1e-5, $"row {r}: onnx {actual[r]} ml.net {expected[r]}");
        }

        Assert.True(missingRows > 50, $"only {missingRows} validation rows have a missing value");
        Assert.StartsWith("ok", OnnxChecker.Check(result.Model.ToBytes()));
        Assert.Equal(("Features", validation.Schema.Count), (result.Model.Contract.InputName, result.Model.Contract.FeatureCount));
    }

    [Fact]
    public void Stops_early_on_labels_that_no_feature_predicts_and_reports_every_stage()
    {
        var (train, validation) = Load(SyntheticData.Generate(3000, seed: 9, noiseOnly: true)).SplitTail(0.3);
        var stages = new List<TrainingStage>();
        var result = BoostingTrainer.Train(train, validation, new BoostingOptions { Rounds = 500, EarlyStoppingRounds = 10, Threads = 1 },
            new Collect(p => stages.Add(p.Stage)));
        Assert.True(result.StoppedEarly);
        Assert.InRange(result.BestIteration!.Value, 1, 60);
        Assert.Equal(result.BestIteration, result.Trees);
        Assert.Equal(result.BestIteration, result.Model.Info.BestIteration);
        Assert.Equal([TrainingStage.Preparing, TrainingStage.Training, TrainingStage.Exporting, TrainingStage.Validating, TrainingStage.Done], stages.Distinct());
    }

    [Fact]
    public void Records_hyper_parameters_metrics_and_a_gain_importance_that_ranks_signal_above_noise()
    {
        var (train, validation) = Load(SyntheticData.Generate(5000, seed: 4)).SplitTail(0.2);
        var result = BoostingTrainer.Train(train, validation, new BoostingOptions { Rounds = 80, LearningRate = 0.1, Seed = 1, Threads = 1 });
        var info = result.Model.Info;
        Assert.Equal(0.1, info.HyperParameters["learning_rate"]);
        Assert.Equal("purchased", info.LabelName);
        Assert.Equal(validation.RowCount, info.Metrics!.Rows);
        Assert.Equal(10, info.Metrics.Calibration.Count);
        Assert.InRange(info.Metrics.Auc, 0.65, 1);
        var importance = info.FeatureImportance!;
        Assert.Equal(train.Schema.Features.Select(f => f.Name).Order(), importance.Keys.Order());
        Assert.True(importance["cart_value"] > importance["noise2"], string.Join(", ", importance.Select(kv => $"{kv.Key}={kv.Value:F3}")));
    }

    [Theory]
    [InlineData("rounds", "0", "rounds must be 1..100000")]
    [InlineData("learning_rate", "2", "learning_rate must be in (0, 1]")]
    [InlineData("learning_rate", "fast", "learning_rate 'fast' is not a number")]
    [InlineData("num_leaves", "1", "num_leaves must be 2..131072")]
    [InlineData("subsample", "0", "subsample must be in (0, 1]")]
    [InlineData("max_bin", "1", "max_bin must be 2..65535")]
    [InlineData("threads", "0", "threads must be 1..1024")]
    [InlineData("seed", "1.5", "seed '1.5' is not an integer")]
    [InlineData("algorithm", "xgboost", "algorithm 'xgboost' is not lightgbm or fasttree")]
    public void Bad_options_are_refused_naming_the_option(string key, string value, string message)
    {
        var e = Assert.Throws<InvalidOptionException>(() => BoostingOptionParser.Parse(k => k == key ? value : null));
        Assert.Equal(key, e.Key);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void One_class_data_is_refused()
    {
        var data = Dataset.Create(new DatasetSchema([new FeatureInfo("x", FeatureKind.Numeric)]), [[1f, 2f, 3f]], [0f, 0f, 0f]);
        Assert.Contains("all 0/FALSE", Assert.Throws<ArgumentException>(() => BoostingTrainer.Train(data, null, new BoostingOptions())).Message);
    }

    private Dataset Load(SyntheticData data) => DatasetLoader.LoadForTraining(_dir.Write(Guid.NewGuid().ToString("N") + ".csv", data.Csv), "purchased");

    private sealed class Collect(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
