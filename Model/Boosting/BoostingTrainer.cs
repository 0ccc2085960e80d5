using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CartRecovery.Model.Data;
using CartRecovery.Model.Evaluation;
using CartRecovery.Model.Onnx;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace CartRecovery.Model.Boosting;

/// <summary>
/// Fits a boosted-tree binary classifier with ML.NET (LightGBM by default), exports it with ML.NET's ONNX
/// converter and returns the ONNX model, validated by scoring the held-out rows through ONNX Runtime: the
/// metrics that decide promotion are those of the artifact that will be served.
/// </summary>
public static partial class BoostingTrainer
{
    private static readonly TimeSpan HeartbeatPeriod = TimeSpan.FromSeconds(1);

    /// <param name="validation">Later rows (time order) for early stopping and metrics; null trains every round.</param>
    /// <exception cref="InvalidOptionException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The data cannot train a classifier (no labels, one class only).</exception>
    /// <exception cref="OperationCanceledException">Cancelled between stages (ML.NET's learner itself cannot be interrupted).</exception>
    public static TrainingResult Train(Dataset train, Dataset? validation, BoostingOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        CheckData(train, validation);
        var clock = Stopwatch.StartNew();
        var report = new Reporter(progress, clock);
        report.Stage(TrainingStage.Preparing, $"{train.RowCount} training rows x {train.Schema.Count} features" +
            (validation is null ? "" : $", {validation.RowCount} validation rows"));

        var ml = new MLContext(seed: options.Seed);
        int? bestIteration = null;
        ml.Log += (_, e) =>
        {
            if (e.Kind == ChannelMessageKind.Info && EarlyStop().Match(e.Message) is { Success: true } m)
            {
                bestIteration = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            }
        };
        var trainView = MlNetData.Labelled(ml, train);
        var validView = validation is null ? null : MlNetData.Labelled(ml, validation);
        cancellationToken.ThrowIfCancellationRequested();

        report.Stage(TrainingStage.Training, $"{Learners.Name(options)}: up to {options.Rounds} rounds" +
            (validView is not null && options.EarlyStoppingRounds > 0 ? $", early stopping after {options.EarlyStoppingRounds} without improvement" : ""));
        OpenMpWaitPolicy.PreferPassive();
        var fitClock = Stopwatch.StartNew();
        Learners.Fitted fitted;
        using (new Timer(_ => report.Heartbeat(), null, HeartbeatPeriod, HeartbeatPeriod))
        {
            try
            {
                fitted = Learners.Fit(ml, options, trainView, validView);
            }
            finally
            {
                report.EndHeartbeats();
            }
        }

        var fitTime = fitClock.Elapsed;
        report.Stage(TrainingStage.Training, $"{fitted.TreeCount} trees in {fitTime.TotalSeconds:F2} s" +
            (bestIteration is { } b ? $" (stopped early: best round {b})" : ""));
        cancellationToken.ThrowIfCancellationRequested();

        report.Stage(TrainingStage.Exporting, "writing the ensemble as ONNX and loading it in ONNX Runtime");
        byte[] graph;
        using (var buffer = new MemoryStream())
        {
            ml.Model.ConvertToOnnx(fitted.Transformer, MlNetData.FeaturesOnly(ml, train.Schema.Count), buffer, "Probability");
            graph = buffer.ToArray();
        }

        var info = new ModelInfo
        {
            Algorithm = Learners.Name(options),
            LabelName = train.LabelName,
            Features = train.Schema.Features,
            HyperParameters = options.ToHyperParameters(),
            BestIteration = bestIteration,
            FeatureImportance = fitted.Importance(train.Schema),
        };
        var model = OnnxModel.FromGraph(graph, info, $"{info.Algorithm} export");
        cancellationToken.ThrowIfCancellationRequested();

        ModelMetrics? metrics = null;
        if (validation is not null)
        {
            report.Stage(TrainingStage.Validating, $"scoring {validation.RowCount} validation rows with the exported model");
            using var scorer = model.CreateScorer(Math.Max(1, options.Threads ?? Environment.ProcessorCount));
            metrics = Metrics.Evaluate(scorer.ScoreAll(validation), validation.Labels!);
            model = model.WithInfo(info with { Metrics = metrics });
        }

        report.Stage(TrainingStage.Done, metrics is null ? "done"
            : string.Create(CultureInfo.InvariantCulture, $"validation AUC {metrics.Auc:F4}, log loss {metrics.LogLoss:F4}"));
        return new TrainingResult(model, fitted.TreeCount, bestIteration, metrics, clock.Elapsed, fitTime);
    }

    private static void CheckData(Dataset train, Dataset? validation)
    {
        if (train.Labels is null || (validation is not null && validation.Labels is null))
        {
            throw new ArgumentException("training and validation data need labels");
        }

        if (train.Schema.Count == 0)
        {
            throw new ArgumentException("training data has no features");
        }

        var positives = train.Labels.Count(y => y > 0.5f);
        if (positives == 0 || positives == train.RowCount)
        {
            throw new ArgumentException($"the {train.RowCount} training rows are all {(positives == 0 ? "0/FALSE" : "1/TRUE")}; a classifier needs both classes");
        }

        if (validation is not null && validation.Schema.Count != train.Schema.Count)
        {
            throw new ArgumentException($"validation has {validation.Schema.Count} features, training {train.Schema.Count}");
        }
    }

    [GeneratedRegex(@"Met early stopping, best iteration: (\d+)")]
    private static partial Regex EarlyStop();

    /// <summary>Serialises reports: the heartbeat timer and the training thread may report at the same moment.</summary>
    private sealed class Reporter(IProgress<TrainingProgress>? progress, Stopwatch clock)
    {
        private readonly Lock _gate = new();
        private bool _beating = true;

        public void Stage(TrainingStage stage, string message)
        {
            lock (_gate)
            {
                progress?.Report(new TrainingProgress(stage, message, clock.Elapsed));
            }
        }

        public void Heartbeat()
        {
            lock (_gate)
            {
                // A timer callback already queued when the learner finished must not report it as still running.
                if (_beating)
                {
                    progress?.Report(new TrainingProgress(TrainingStage.Training, "running", clock.Elapsed, Heartbeat: true));
                }
            }
        }

        public void EndHeartbeats()
        {
            lock (_gate)
            {
                _beating = false;
            }
        }
    }
}
