using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Models;
using CartRecovery.Grains.Reports;
using CartRecovery.Grains.Scoring;
using CartRecovery.Model.Boosting;
using CartRecovery.Model.Registry;
using CartRecovery.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartRecovery.Grains.Tests;

/// <summary>Training, promotion and hot swap of the scorer while scores flow on other threads.</summary>
public sealed class ModelSwapTests : IDisposable
{
    private readonly TempSqliteFile _db = new("cr-model-swap-");

    public void Dispose() => _db.Dispose();

    private sealed class Baseline : IRiskScorer { public string Version => "baseline-v1"; public double Score(ReadOnlySpan<float> f) => 0.5; }

    private sealed class Carts(List<CartState> carts) : ICartStateSource
    {
        public async IAsyncEnumerable<CartState> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            foreach (var c in carts) { await Task.Yield(); yield return c; }
        }
    }

    private static List<CartState> SyntheticCarts(int n, int seed, DateTimeOffset now)
    {
        var rng = new Random(seed);
        var idle = Array.IndexOf(FeatureSet.Names, "minutes_idle");
        var removals = Array.IndexOf(FeatureSet.Names, "cart_removals");
        var list = new List<CartState>();
        for (var i = 0; i < n; i++)
        {
            var f = FeatureSet.Names.Select(_ => rng.NextDouble() < 0.1 ? float.NaN : (float)(rng.NextDouble() * 10)).ToArray();
            var z = 0.6 * (float.IsNaN(f[idle]) ? 5 : f[idle]) + 0.8 * (float.IsNaN(f[removals]) ? 5 : f[removals]) - 6 + rng.NextDouble() * 2 - 1;
            var at = now.AddDays(-10).AddMinutes(i);
            list.Add(new CartState { ScoredAt = at, ScoredFeatures = f, PurchasedAt = z > 0 ? null : at.AddHours(1) });
        }
        return list;
    }

    [Fact]
    public async Task Trains_promotes_and_hot_swaps_while_scores_flow_without_errors()
    {
        var registry = new SqliteModelRegistry($"Data Source={_db.Path};Pooling=False");
        await registry.EnsureSchemaAsync();
        var provider = new ScorerProvider(new Baseline());
        var now = DateTimeOffset.UtcNow;
        using var service = new ModelService(registry, provider, new Carts(SyntheticCarts(3000, 1, now)), TimeProvider.System, NullLogger<ModelService>.Instance);

        var stop = new CancellationTokenSource();
        var errors = 0; long scores = 0; var versions = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var rng = new Random(2);
        var rows = Enumerable.Range(0, 64).Select(_ => FeatureSet.Names.Select(_ => (float)(rng.NextDouble() * 10)).ToArray()).ToArray();
        var flow = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            var i = t;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var model = provider.Current;
                    var p = model.Score(rows[i++ % rows.Length]);
                    if (!(p is >= 0 and <= 1)) Interlocked.Increment(ref errors);
                    versions.TryAdd(model.Version, 0);
                    Interlocked.Increment(ref scores);
                }
                catch { Interlocked.Increment(ref errors); }
            }
        })).ToArray();

        var first = await service.TrainAsync(new BoostingOptions { Rounds = 60, NumberOfLeaves = 8, Seed = 1 }, TimeSpan.FromHours(24), null, CancellationToken.None);
        Assert.True(first.Trained, first.Message);
        Assert.True(first.Promotion!.Promoted);
        Assert.True(first.ValidationAuc > 0.85, $"auc {first.ValidationAuc}");
        Assert.Equal($"lightgbm-{first.CandidateId}", provider.Current.Version);
        Assert.NotNull(service.Active.Importance);
        Assert.True(service.Active.Importance!["minutes_idle"] > service.Active.Importance["hour_of_day"]);

        // More promotions (equal or better AUC) swap again while scores keep flowing.
        for (var k = 0; k < 4; k++)
        {
            var again = await service.TrainAsync(new BoostingOptions { Rounds = 60 + k, NumberOfLeaves = 8, Seed = 1 }, TimeSpan.FromHours(24), null, CancellationToken.None);
            Assert.True(again.Trained);
            if (again.Promotion!.Promoted) Assert.Equal($"lightgbm-{again.CandidateId}", provider.Current.Version);
        }

        await Task.Delay(300);
        stop.Cancel();
        await Task.WhenAll(flow);
        Assert.Equal(0, errors);
        Assert.True(scores > 1000, $"{scores} scores");
        Assert.Contains("baseline-v1", versions.Keys);
        Assert.True(versions.Keys.Count(v => v.StartsWith("lightgbm-")) >= 1, string.Join(",", versions.Keys));

        // A retired scorer a caller still holds answers through its successor.
        var a = provider.Current;
        var bad = await service.TrainAsync(new BoostingOptions { Rounds = 200, NumberOfLeaves = 64, Seed = 3 }, TimeSpan.FromHours(24), null, CancellationToken.None);
        Assert.InRange(a.Score(rows[0]), 0, 1);
        Assert.Throws<InvalidOptionException>(() => service.TrainAsync(new BoostingOptions { LearningRate = 3 }, TimeSpan.FromHours(1), null, CancellationToken.None).GetAwaiter().GetResult());
    }
}
