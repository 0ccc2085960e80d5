using System.Diagnostics;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Bench.Model;

/// <summary>How fast ONNX Runtime scores one model: one row per call on one thread, and whole batches.</summary>
internal static class OnnxThroughput
{
    /// <summary>Best of three passes over every row (after a warm-up pass), one Score call per row, as a grain scores an event.</summary>
    public static double SingleRow(OnnxModel model, float[] rows, int count)
    {
        using var scorer = model.CreateScorer(intraOpThreads: 1);
        var f = scorer.FeatureCount;
        var best = 0.0;
        var sink = 0f;
        for (var pass = 0; pass < 4; pass++)
        {
            var clock = Stopwatch.StartNew();
            for (var r = 0; r < count; r++)
            {
                sink += scorer.Score(rows.AsSpan(r * f, f));
            }

            if (pass > 0)
            {
                best = Math.Max(best, count / clock.Elapsed.TotalSeconds);
            }
        }

        GC.KeepAlive(sink);
        return best;
    }

    /// <summary>Best of three runs of <see cref="OnnxScorer.ScoreRows"/> over every row, on a session with the given intra-op threads.</summary>
    public static double Batch(OnnxModel model, float[] rows, int count, int threads)
    {
        using var scorer = model.CreateScorer(threads);
        scorer.ScoreRows(rows, count);
        var best = 0.0;
        for (var pass = 0; pass < 3; pass++)
        {
            var clock = Stopwatch.StartNew();
            scorer.ScoreRows(rows, count);
            best = Math.Max(best, count / clock.Elapsed.TotalSeconds);
        }

        return best;
    }
}
