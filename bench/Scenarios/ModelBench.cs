using CartRecovery.TestSupport;
using System.Globalization;
using CartRecovery.Bench.Infrastructure;
using CartRecovery.Bench.Model;
using CartRecovery.Bench.Support;
using CartRecovery.Model.Boosting;
using CartRecovery.Model.Data;
using CartRecovery.Model.Xgboost;

namespace CartRecovery.Bench.Scenarios;

/// <summary>
/// Abandonment model: scoring through ONNX Runtime and training through ML.NET LightGBM, against
/// python3-xgboost on the same data, the same model and the same rows in the same run.
/// Data: REES46 sessions (features up to the first cart add) resampled with jitter to 200k rows.
/// Scoring: XGBoost trains a 200-tree depth-6 booster; we convert its JSON to ONNX and score it with ONNX
/// Runtime one row per call (pinned per-thread buffers, one intra-op thread), against XGBoost's own per-row
/// predict (the faster of inplace_predict on one row and predict on a one-row DMatrix). Batch figures (ONNX
/// Runtime with 1 and 2 threads, XGBoost with 2) are reported alongside. Training: our trainer (LightGBM,
/// 200 rounds, depth 6, 64 leaves, same eta/min_child_weight/lambda/bins, 2 threads, ONNX export included)
/// against xgb.train with DMatrix construction included; best of two each. XGBoost runs with OpenMP's
/// spinning and passive wait policies and is credited with the better result of each.
/// Options: --rows N (default 200000), --rounds N (default 200).
/// </summary>
public sealed class ModelBench : IScenario
{
    public string Name => "model";

    public string Description => "abandonment model: ONNX Runtime scoring and LightGBM training vs python3-xgboost";

    public async Task<BenchResult> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var rows = Option(args, "--rows", 200_000);
        var rounds = Option(args, "--rounds", 200);
        var loadAverage = LoadAverage();
        var dir = Directory.CreateTempSubdirectory("cr-model-bench-");
        try
        {
            var csv = Path.Combine(dir.FullName, "data.csv");
            var (features, positives) = ScaledSessions.Write(SharedData.Rees46, csv, rows, seed: 1);
            BenchLog.Info($"model bench: {rows} rows x {features} features ({positives} positive), {rounds} trees depth 6");

            var spinning = await XgboostBaseline.RunAsync(csv, dir.FullName, rounds, "ACTIVE", cancellationToken);
            var passive = await XgboostBaseline.RunAsync(csv, dir.FullName, rounds, "PASSIVE", cancellationToken);
            double Best(string metric, bool lowest) => lowest
                ? Math.Min(spinning.GetProperty(metric).GetDouble(), passive.GetProperty(metric).GetDouble())
                : Math.Max(spinning.GetProperty(metric).GetDouble(), passive.GetProperty(metric).GetDouble());

            var data = DatasetLoader.LoadForTraining(csv, "label");
            var matrix = data.ToRowMajor();
            var model = XgboostImporter.Load(Path.Combine(dir.FullName, "xgb.json"));
            var parity = MaxDifference(model, matrix, File.ReadAllLines(Path.Combine(dir.FullName, "xgb_pred.txt")));
            var single = OnnxThroughput.SingleRow(model, matrix, data.RowCount);
            var batch1 = OnnxThroughput.Batch(model, matrix, data.RowCount, threads: 1);
            var batch2 = OnnxThroughput.Batch(model, matrix, data.RowCount, threads: 2);

            var options = new BoostingOptions
            {
                Rounds = rounds, MaxDepth = 6, NumberOfLeaves = 64, LearningRate = 0.1, MinChildWeight = 1, MinExamplesPerLeaf = 1,
                Lambda = 1, MaxBins = 256, EarlyStoppingRounds = 0, Threads = 2, Seed = 0,
            };
            double ourTrain = double.PositiveInfinity, ourFit = double.PositiveInfinity;
            var trees = 0;
            for (var attempt = 0; attempt < 2; attempt++)
            {
                var result = BoostingTrainer.Train(data, null, options, null, cancellationToken);
                ourTrain = Math.Min(ourTrain, result.Elapsed.TotalSeconds);
                ourFit = Math.Min(ourFit, result.FitTime.TotalSeconds);
                trees = result.Trees;
            }

            var xgbSingle = Math.Max(Best("single_rows_per_s", false), Best("dmatrix_rows_per_s", false));
            var xgbBatch = Best("batch_rows_per_s", false);
            var xgbTrain = Best("train_s", true);
            var met = single >= xgbSingle && ourTrain <= 3 * xgbTrain && parity <= 1e-5;
            BenchLog.Info($"scoring rows/s: onnx runtime single {single:F0}, batch {batch1:F0} (1 thread) {batch2:F0} (2); xgboost single {xgbSingle:F0}, batch {xgbBatch:F0}");
            BenchLog.Info($"training s: lightgbm {ourTrain:F2} ({trees} trees; learner alone {ourFit:F2}), xgboost {xgbTrain:F2}; parity max |diff| {parity:E2}; goal {(met ? "met" : "MISSED")}");
            return new BenchResult(Name, Math.Round(single), "rows/s (single-row scoring)", Math.Round(xgbSingle), Math.Round(single / xgbSingle, 3),
                "ONNX Runtime single-row scoring >= xgboost per row; training within 3x of xgboost; parity <= 1e-5", met)
            {
                BaselineName = $"xgboost {spinning.GetProperty("version").GetString()} single-row predict (python)",
                Details = new Dictionary<string, double>
                {
                    ["rows"] = rows,
                    ["features"] = features,
                    ["trees"] = rounds,
                    ["onnx_single_rows_per_s"] = Math.Round(single),
                    ["onnx_batch_rows_per_s_1_thread"] = Math.Round(batch1),
                    ["onnx_batch_rows_per_s_2_threads"] = Math.Round(batch2),
                    ["xgb_single_inplace_rows_per_s"] = Math.Round(Best("single_rows_per_s", false)),
                    ["xgb_single_dmatrix_rows_per_s"] = Math.Round(Best("dmatrix_rows_per_s", false)),
                    ["xgb_batch_rows_per_s"] = Math.Round(xgbBatch),
                    ["onnx_batch_vs_xgb_batch"] = Math.Round(batch2 / xgbBatch, 3),
                    ["lightgbm_train_s"] = Math.Round(ourTrain, 3),
                    ["lightgbm_fit_s"] = Math.Round(ourFit, 3),
                    ["lightgbm_trees"] = trees,
                    ["xgb_train_s"] = Math.Round(xgbTrain, 3),
                    ["xgb_train_s_omp_active"] = Math.Round(spinning.GetProperty("train_s").GetDouble(), 3),
                    ["xgb_train_s_omp_passive"] = Math.Round(passive.GetProperty("train_s").GetDouble(), 3),
                    ["train_time_ratio"] = Math.Round(ourTrain / xgbTrain, 3),
                    ["parity_max_abs_diff"] = parity,
                    ["load_avg_1m_at_start"] = loadAverage,
                },
            }.Finite();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Largest |ONNX Runtime − XGBoost| over the rows XGBoost predicted, through the single-row path.</summary>
    private static double MaxDifference(CartRecovery.Model.Onnx.OnnxModel model, float[] matrix, string[] expected)
    {
        using var scorer = model.CreateScorer();
        var f = scorer.FeatureCount;
        var worst = 0.0;
        for (var r = 0; r < expected.Length; r++)
        {
            worst = Math.Max(worst, Math.Abs(scorer.Score(matrix.AsSpan(r * f, f)) - float.Parse(expected[r], CultureInfo.InvariantCulture)));
        }

        return worst;
    }

    /// <summary>1-minute load average, recorded so a reader can tell a quiet run from one sharing the cores (NaN off Linux).</summary>
    private static double LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
