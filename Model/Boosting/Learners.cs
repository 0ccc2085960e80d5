using CartRecovery.Model.Data;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace CartRecovery.Model.Boosting;

/// <summary>Maps <see cref="BoostingOptions"/> onto ML.NET's LightGBM and FastTree trainers.</summary>
internal static class Learners
{
    public static string Name(BoostingOptions o) => o.Algorithm == BoostingAlgorithm.LightGbm ? "lightgbm" : "fasttree";

    public static Fitted Fit(MLContext ml, BoostingOptions o, IDataView train, IDataView? validation) =>
        o.Algorithm == BoostingAlgorithm.LightGbm ? FitLightGbm(ml, o, train, validation) : FitFastTree(ml, o, train, validation);

    private static Fitted FitLightGbm(MLContext ml, BoostingOptions o, IDataView train, IDataView? validation)
    {
        var options = new LightGbmBinaryTrainer.Options
        {
            LabelColumnName = MlNetData.Label,
            FeatureColumnName = MlNetData.Features,
            NumberOfIterations = o.Rounds,
            LearningRate = o.LearningRate,
            NumberOfLeaves = o.NumberOfLeaves,
            MinimumExampleCountPerLeaf = o.MinExamplesPerLeaf,
            MaximumBinCountPerFeature = o.MaxBins,
            EarlyStoppingRound = validation is null ? 0 : o.EarlyStoppingRounds,
            EvaluationMetric = LightGbmBinaryTrainer.Options.EvaluateMetricType.Logloss,

            // LightGBM's own link (p = 1 / (1 + e^-s)), as XGBoost's binary:logistic; ML.NET's default of 0.5 halves it.
            Sigmoid = 1,
            HandleMissingValue = true,
            UseZeroAsMissingValue = false,
            UseCategoricalSplit = false,
            Seed = o.Seed,
            Deterministic = true,

            // LightGBM otherwise times both histogram layouts on every run and picks one, a choice that costs time
            // and can differ between runs; row-wise suits our few-feature, many-row tables.
            ForceRowWise = true,
            NumberOfThreads = o.Threads,
            Silent = true,
            Verbose = false,
            Booster = new GradientBooster.Options
            {
                MaximumTreeDepth = o.MaxDepth,
                MinimumChildWeight = o.MinChildWeight,
                L2Regularization = o.Lambda,
                FeatureFraction = o.ColsampleByTree,
                SubsampleFraction = o.Subsample,
                SubsampleFrequency = o.Subsample < 1 ? 1 : 0,
            },
        };
        var trainer = ml.BinaryClassification.Trainers.LightGbm(options);
        var model = validation is null ? trainer.Fit(train) : trainer.Fit(train, validation);
        return new Fitted(model, model.Model.SubModel);
    }

    private static Fitted FitFastTree(MLContext ml, BoostingOptions o, IDataView train, IDataView? validation)
    {
        var options = new FastTreeBinaryTrainer.Options
        {
            LabelColumnName = MlNetData.Label,
            FeatureColumnName = MlNetData.Features,
            NumberOfTrees = o.Rounds,
            LearningRate = o.LearningRate,
            NumberOfLeaves = o.NumberOfLeaves,
            MinimumExampleCountPerLeaf = o.MinExamplesPerLeaf,
            MaximumBinCountPerFeature = o.MaxBins,
            FeatureFraction = o.ColsampleByTree,
            BaggingSize = o.Subsample < 1 ? 1 : 0,
            BaggingExampleFraction = o.Subsample,
            Seed = o.Seed,
            NumberOfThreads = o.Threads,
            EarlyStoppingRule = validation is null || o.EarlyStoppingRounds == 0 ? null : new TolerantEarlyStoppingRule(),
            EarlyStoppingMetric = EarlyStoppingMetric.L2Norm,
        };
        var trainer = ml.BinaryClassification.Trainers.FastTree(options);
        var model = validation is null ? trainer.Fit(train) : trainer.Fit(train, validation);
        return new Fitted(model, model.Model.SubModel);
    }

    /// <param name="Transformer">What ONNX export converts: trees plus ML.NET's Platt calibrator.</param>
    public sealed record Fitted(ITransformer Transformer, TreeEnsembleModelParametersBasedOnRegressionTree Trees)
    {
        public int TreeCount => Trees.TrainedTreeEnsemble.Trees.Count;

        /// <summary>Total split gain per feature relative to the top feature (1), as ML.NET's GetFeatureWeights reports it for tree ensembles.</summary>
        public IReadOnlyDictionary<string, double> Importance(DatasetSchema schema)
        {
            var weights = default(VBuffer<float>);
            Trees.GetFeatureWeights(ref weights);
            var dense = weights.DenseValues().ToArray();
            return Enumerable.Range(0, schema.Count).ToDictionary(
                i => schema.Features[i].Name,
                i => i < dense.Length && float.IsFinite(dense[i]) ? (double)dense[i] : 0,
                StringComparer.Ordinal);
        }
    }
}
