using CartRecovery.Model.Onnx;
using CartRecovery.Model.Xgboost;

namespace CartRecovery.Model.Tests.Onnx;

public sealed class OnnxScorerTests
{
    /// <summary>Two stumps on f0 and f1 (missing left on f0, right on f1): a model whose every score is easy to compute by hand.</summary>
    private const string Booster = """
        {"learner":{"feature_names":["a","b"],"gradient_booster":{"model":{"trees":[
        {"left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[0,0,0],"split_conditions":[0.5,-1,1],"default_left":[1,0,0]},
        {"left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[1,0,0],"split_conditions":[2,0.25,-0.25],"default_left":[0,0,0]}]},"name":"gbtree"},
        "learner_model_param":{"base_score":"5E-1","num_feature":"2"},"objective":{"name":"binary:logistic"}}}
        """;

    private static OnnxModel Model => XgboostImporter.Parse(System.Text.Encoding.UTF8.GetBytes(Booster), "booster.json");

    [Fact]
    public void Single_rows_from_many_threads_match_the_batch_scores()
    {
        using var scorer = Model.CreateScorer();
        var rng = new Random(3);
        var rows = Enumerable.Range(0, 4000).SelectMany(_ => new[] { Value(rng), Value(rng) }).ToArray();
        var batch = scorer.ScoreRows(rows, 4000);
        var single = new float[4000];
        Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, r => single[r] = scorer.Score(rows.AsSpan(r * 2, 2)));
        Assert.Equal(batch, single);
        Assert.Equal(Expected(0.2f, 3f), scorer.Score([0.2f, 3f]), 6);
        Assert.Equal(Expected(float.NaN, float.NaN), scorer.Score([float.NaN, float.NaN]), 6);
    }

    [Fact]
    public async Task Disposing_frees_the_session_only_after_scores_in_flight_finish()
    {
        var scorer = Model.CreateScorer();
        using var start = new Barrier(5);
        var stop = 0;
        var failures = 0;
        var scores = 0L;
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            while (Volatile.Read(ref stop) == 0)
            {
                // A caller that fetched the scorer before it was replaced either scores normally or is told it is gone.
                if (scorer.TryScore([0.2f, 3f], out var p))
                {
                    Interlocked.Increment(ref scores);
                    if (Math.Abs(p - Expected(0.2f, 3f)) > 1e-6)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
                else
                {
                    return;
                }
            }
        })).ToArray();
        start.SignalAndWait();
        while (Interlocked.Read(ref scores) < 2000)
        {
            Thread.Yield();
        }

        scorer.Dispose();
        scorer.Dispose();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30));
        Volatile.Write(ref stop, 1);
        Assert.Equal(0, failures);
        Assert.False(scorer.TryScore([0.2f, 3f], out _));
        Assert.Throws<ObjectDisposedException>(() => scorer.Score([0.2f, 3f]));
    }

    [Fact]
    public void A_row_of_the_wrong_length_is_an_argument_error()
    {
        using var scorer = Model.CreateScorer();
        Assert.Contains("row has 3 values, model takes 2", Assert.Throws<ArgumentException>(() => scorer.Score([1f, 2f, 3f])).Message);
    }

    private static float Value(Random rng) => rng.NextDouble() < 0.2 ? float.NaN : (float)(rng.NextDouble() * 4);

    private static float Expected(float a, float b)
    {
        var margin = (float.IsNaN(a) || a < 0.5f ? -1f : 1f) + (!float.IsNaN(b) && b < 2 ? 0.25f : -0.25f);
        return 1 / (1 + MathF.Exp(-margin));
    }
}
