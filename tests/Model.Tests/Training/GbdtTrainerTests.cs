using CartRecovery.Model.Data;
using CartRecovery.Model.Evaluation;
using CartRecovery.Model.Scoring;
using CartRecovery.Model.Tests.Support;
using CartRecovery.Model.Training;

namespace CartRecovery.Model.Tests.Training;

public sealed class GbdtTrainerTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Learns_a_known_signal_almost_as_well_as_the_true_probabilities()
    {
        var synthetic = SyntheticData.Generate(8000, seed: 5);
        var data = DatasetLoader.LoadForTraining(_dir.Write("s.csv", synthetic.Csv), "purchased");
        var (train, validation) = data.SplitTail(0.25);
        var result = GbdtTrainer.Train(train, validation, new GbdtOptions { Rounds = 200, MaxDepth = 4 });

        var trueScores = synthetic.TrueLogit[train.RowCount..].Select(v => (float)v).ToArray();
        var oracle = Metrics.Auc(trueScores, validation.Labels!);
        var ours = result.ValidationMetrics!.Auc;
        Assert.True(ours > 0.5 + ((oracle - 0.5) * 0.85), $"AUC {ours:F4} vs oracle {oracle:F4}");

        // Signal features carry more gain than pure noise.
        var gain = result.Model.FeatureImportance();
        Assert.True(gain["cart_value"] > gain["noise1"] && gain["returning"] > gain["noise2"], string.Join(", ", gain));
    }

    [Fact]
    public void Same_seed_gives_byte_identical_models_whatever_the_thread_count()
    {
        var data = DatasetLoader.LoadForTraining(_dir.Write("s.csv", SyntheticData.Generate(40000, seed: 2).Csv), "purchased");
        var (train, validation) = data.SplitTail(0.2);
        var options = new GbdtOptions { Rounds = 20, Subsample = 0.7, ColsampleByTree = 0.6, Seed = 42, EarlyStoppingRounds = 0 };

        var a = ModelFile.ToJsonBytes(GbdtTrainer.Train(train, validation, options with { Threads = 2 }).Model);
        var b = ModelFile.ToJsonBytes(GbdtTrainer.Train(train, validation, options with { Threads = 1 }).Model);
        var c = ModelFile.ToJsonBytes(GbdtTrainer.Train(train, validation, options with { Threads = 2, Seed = 43 }).Model);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Early_stopping_stops_soon_on_pure_noise()
    {
        var data = DatasetLoader.LoadForTraining(_dir.Write("n.csv", SyntheticData.Generate(4000, seed: 9, noiseOnly: true).Csv), "purchased");
        var (train, validation) = data.SplitTail(0.3);
        var reports = new List<TrainingProgress>();
        var result = GbdtTrainer.Train(train, validation, new GbdtOptions { Rounds = 500, EarlyStoppingRounds = 10 }, new Collect(reports));

        Assert.True(result.StoppedEarly);
        Assert.True(result.RoundsTrained < 60, $"{result.RoundsTrained} rounds");
        Assert.Equal(result.BestRound + 10, result.RoundsTrained);
        Assert.Equal(result.BestRound, result.Model.TreeCount);
        Assert.Equal(Enumerable.Range(1, result.RoundsTrained), reports.Select(p => p.Round));
        Assert.All(reports, p => Assert.True(double.IsFinite(p.TrainLogLoss) && double.IsFinite(p.ValidationLogLoss) && double.IsFinite(p.ValidationAuc)));

        // Training loss keeps falling while validation does not: that is the overfitting early stopping cut off.
        Assert.True(reports[^1].TrainLogLoss < reports[0].TrainLogLoss);
        Assert.True(reports[^1].ValidationLogLoss >= reports.Min(p => p.ValidationLogLoss));
    }

    [Fact]
    public void Learns_a_default_direction_for_missing_values()
    {
        // Label is 1 exactly when x is missing; present values carry no signal.
        var rng = new Random(1);
        var n = 2000;
        var x = new float[n];
        var y = new float[n];
        for (var i = 0; i < n; i++)
        {
            var missing = rng.NextDouble() < 0.3;
            x[i] = missing ? float.NaN : (float)rng.NextDouble();
            y[i] = missing ? 1 : 0;
        }

        var schema = new DatasetSchema([new FeatureInfo("x", FeatureKind.Numeric)]);
        var model = GbdtTrainer.Train(Dataset.Create(schema, [x], y), null, new GbdtOptions { Rounds = 30 }).Model;
        Assert.True(model.Predict([float.NaN]) > 0.9f);
        Assert.True(model.Predict([0.5f]) < 0.1f);
    }

    [Fact]
    public void Trees_respect_max_depth_and_min_child_weight()
    {
        var data = DatasetLoader.LoadForTraining(_dir.Write("s.csv", SyntheticData.Generate(3000, seed: 4).Csv), "purchased");
        var model = GbdtTrainer.Train(data, null, new GbdtOptions { Rounds = 10, MaxDepth = 3, MinChildWeight = 40 }).Model;
        foreach (var tree in model.Trees)
        {
            Assert.True(Depth(tree, 0) <= 3);
            for (var node = 0; node < tree.NodeCount; node++)
            {
                Assert.True(tree.Cover[node] >= 40 - 1e-3, $"node {node} cover {tree.Cover[node]}");
            }
        }
    }

    [Fact]
    public void Rejects_single_class_labels_and_bad_options()
    {
        var schema = new DatasetSchema([new FeatureInfo("x", FeatureKind.Numeric)]);
        var data = Dataset.Create(schema, [[1f, 2f, 3f]], [1f, 1f, 1f]);
        Assert.Contains("all 1", Assert.Throws<ArgumentException>(() => GbdtTrainer.Train(data, null, new GbdtOptions())).Message);
        var ok = Dataset.Create(schema, [[1f, 2f, 3f]], [1f, 0f, 1f]);
        Assert.Throws<ArgumentOutOfRangeException>(() => GbdtTrainer.Train(ok, null, new GbdtOptions { LearningRate = 0 }));
    }

    [Fact]
    public void Honours_cancellation()
    {
        var data = DatasetLoader.LoadForTraining(_dir.Write("s.csv", SyntheticData.Generate(2000, seed: 4).Csv), "purchased");
        using var cts = new CancellationTokenSource();
        var progress = new Collect([], _ => cts.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() => GbdtTrainer.Train(data, null, new GbdtOptions { Rounds = 100 }, progress, cts.Token));
    }

    private static int Depth(RegressionTree tree, int node) =>
        tree.IsLeaf(node) ? 0 : 1 + Math.Max(Depth(tree, tree.Left[node]), Depth(tree, tree.Right[node]));

    private sealed class Collect(List<TrainingProgress> into, Action<TrainingProgress>? also = null) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            into.Add(value);
            also?.Invoke(value);
        }
    }
}
