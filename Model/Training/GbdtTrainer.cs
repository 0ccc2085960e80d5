using System.Diagnostics;
using CartRecovery.Model.Data;
using CartRecovery.Model.Evaluation;
using CartRecovery.Model.Scoring;

namespace CartRecovery.Model.Training;

/// <summary>
/// Gradient-boosted trees for binary classification (logistic loss) on quantile histograms, with
/// XGBoost-style regularisation, learned missing-value directions, row/column subsampling and early
/// stopping on a validation set. The same data, options and seed always give the same model bytes.
/// </summary>
public static class GbdtTrainer
{
    private const int RowBlock = 16384;

    /// <param name="validation">Held-out rows (same schema) for early stopping and the metrics stored with the model.</param>
    public static TrainingResult Train(
        Dataset train,
        Dataset? validation,
        GbdtOptions options,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        options.Validate();
        var y = train.Labels ?? throw new ArgumentException("training data has no labels", nameof(train));
        CheckClasses(y);
        if (validation is not null)
        {
            CheckCompatible(train.Schema, validation.Schema);
            _ = validation.Labels ?? throw new ArgumentException("validation data has no labels", nameof(validation));
        }

        var clock = Stopwatch.StartNew();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads ?? Environment.ProcessorCount, CancellationToken = cancellationToken };
        var binned = BinnedMatrix.Build(train, options.ValueBins, parallel);
        var n = train.RowCount;
        var baseMargin = LogisticLoss.BaseMargin(y);
        var margins = new float[n];
        Array.Fill(margins, baseMargin);
        var gradients = new float[2 * n];
        var deltas = new float[n];
        UpdateMargins(margins, deltas, y, gradients, parallel, computeLoss: false);

        var valid = validation is null ? null : new ValidationState(validation, baseMargin);
        var grower = new TreeGrower(binned, options, parallel);
        var trees = new List<RegressionTree>();
        var best = (Round: 0, Loss: double.PositiveInfinity);
        var stoppedEarly = false;
        for (var round = 1; round <= options.Rounds; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sampled = SampleRows(grower.Rows, n, options, round);
            var features = SampleFeatures(train.Schema.Count, options, round);
            var grown = grower.Grow(gradients, sampled, features);
            trees.Add(grown.Tree);
            FillDeltas(grown, binned, grower.Rows, deltas, sampled < n, parallel);
            var report = progress is not null && (round % options.ProgressInterval == 0 || round == options.Rounds);
            var trainLoss = UpdateMargins(margins, deltas, y, gradients, parallel, computeLoss: report);

            var validLoss = double.NaN;
            if (valid is not null)
            {
                validLoss = valid.Add(grown.Tree, parallel);
                if (validLoss < best.Loss)
                {
                    best = (round, validLoss);
                }
                else if (options.EarlyStoppingRounds > 0 && round - best.Round >= options.EarlyStoppingRounds)
                {
                    stoppedEarly = true;
                    report = progress is not null;
                }
            }
            else
            {
                best = (round, double.NaN);
            }

            if (report)
            {
                var auc = valid?.Auc() ?? double.NaN;
                progress!.Report(new TrainingProgress(round, options.Rounds, trainLoss, validLoss, auc, best.Round, clock.Elapsed));
            }

            if (stoppedEarly)
            {
                break;
            }
        }

        // Without early stopping every round is kept, as XGBoost does; with it, the best validation round.
        var keep = options.EarlyStoppingRounds > 0 && valid is not null ? best.Round : trees.Count;
        var kept = trees.Take(keep).ToList();
        var metadata = new ModelMetadata
        {
            Algorithm = "gbdt",
            LabelName = train.LabelName,
            HyperParameters = options.ToHyperParameters(),
            BestIteration = keep,
        };
        var model = new GbdtModel(train.Schema, baseMargin, kept, metadata);
        ModelMetrics? metrics = null;
        if (validation is not null)
        {
            metrics = Metrics.Evaluate(model.PredictAll(validation), validation.Labels);
            model = model.WithMetadata(metadata with { Metrics = metrics });
        }

        return new TrainingResult(model, trees.Count, keep, stoppedEarly, metrics, clock.Elapsed);
    }

    private static void CheckClasses(float[] y)
    {
        if (y.Length == 0)
        {
            throw new ArgumentException("training data has no rows");
        }

        var positives = y.Count(v => v > 0.5f);
        if (positives == 0 || positives == y.Length)
        {
            throw new ArgumentException($"training labels are all {(positives == 0 ? 0 : 1)}: a classifier needs both classes");
        }
    }

    private static void CheckCompatible(DatasetSchema a, DatasetSchema b)
    {
        if (ReferenceEquals(a, b))
        {
            return;
        }

        var same = a.Count == b.Count && a.Features.Zip(b.Features).All(p =>
            p.First.Name == p.Second.Name && p.First.Kind == p.Second.Kind && p.First.Categories.SequenceEqual(p.Second.Categories));
        if (!same)
        {
            throw new ArgumentException("validation data must have the training data's schema (same features, kinds and category codes)");
        }
    }

    /// <summary>Bernoulli row sampling from a per-round stream, so round k samples the same rows on every run.</summary>
    private static int SampleRows(int[] rows, int n, GbdtOptions o, int round)
    {
        if (o.Subsample >= 1)
        {
            for (var i = 0; i < n; i++)
            {
                rows[i] = i;
            }

            return n;
        }

        var rng = new SplitMix(o.Seed, 2 * round);
        var count = 0;
        for (var i = 0; i < n; i++)
        {
            if (rng.NextDouble() < o.Subsample)
            {
                rows[count++] = i;
            }
        }

        if (count == 0)
        {
            rows[count++] = rng.NextInt(n);
        }

        return count;
    }

    private static int[] SampleFeatures(int features, GbdtOptions o, int round)
    {
        var all = Enumerable.Range(0, features).ToArray();
        if (o.ColsampleByTree >= 1)
        {
            return all;
        }

        var k = Math.Clamp((int)Math.Round(features * o.ColsampleByTree), 1, features);
        var rng = new SplitMix(o.Seed, (2 * round) + 1);
        for (var i = 0; i < k; i++)
        {
            var j = i + rng.NextInt(features - i);
            (all[i], all[j]) = (all[j], all[i]);
        }

        var chosen = all[..k];
        Array.Sort(chosen);
        return chosen;
    }

    /// <summary>Each row's output from the new tree: read off the leaf ranges, walking the tree only for unsampled rows.</summary>
    private static void FillDeltas(GrownTree grown, BinnedMatrix m, int[] rows, float[] deltas, bool subsampled, ParallelOptions parallel)
    {
        if (subsampled)
        {
            Parallel.For(0, (deltas.Length + RowBlock - 1) / RowBlock, parallel, b =>
            {
                var end = Math.Min(deltas.Length, (b + 1) * RowBlock);
                for (var r = b * RowBlock; r < end; r++)
                {
                    deltas[r] = grown.Tree.Value[grown.LeafOf(m, r)];
                }
            });
            return;
        }

        Parallel.ForEach(grown.Leaves, parallel, leaf =>
        {
            var value = grown.Tree.Value[leaf.Node];
            foreach (var r in rows.AsSpan(leaf.Start, leaf.Count))
            {
                deltas[r] = value;
            }
        });
    }

    /// <summary>Applies the new tree and computes the next round's gradients in one pass; returns mean train loss when asked.</summary>
    private static double UpdateMargins(float[] margins, float[] deltas, float[] y, float[] gradients, ParallelOptions parallel, bool computeLoss)
    {
        var blocks = (margins.Length + RowBlock - 1) / RowBlock;
        var losses = new double[blocks];
        Parallel.For(0, blocks, parallel, b =>
        {
            var end = Math.Min(margins.Length, (b + 1) * RowBlock);
            double loss = 0;
            for (var r = b * RowBlock; r < end; r++)
            {
                var m = margins[r] += deltas[r];
                LogisticLoss.Gradient(m, y[r], out gradients[2 * r], out gradients[(2 * r) + 1]);
                if (computeLoss)
                {
                    loss += LogisticLoss.Loss(m, y[r]);
                }
            }

            losses[b] = loss;
        });
        Array.Clear(deltas);
        return computeLoss ? losses.Sum() / margins.Length : double.NaN;
    }
}
