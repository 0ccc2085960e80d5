using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Models;
using CartRecovery.Grains.Scoring;
using CartRecovery.Model.Boosting;
using CartRecovery.Model.Data;
using CartRecovery.Model.Registry;
using Microsoft.Extensions.DependencyInjection;

namespace CartRecovery.Grains.Tests;

public sealed class ModelIntegrationTests
{
    /// <summary>Synthetic carts where long idle time and removals mean abandonment.</summary>
    private static Dataset Synthetic(int rows, int seed)
    {
        var random = new Random(seed);
        var schema = new DatasetSchema(FeatureSet.Names.Select(n => new FeatureInfo(n, FeatureKind.Numeric)).ToList());
        var columns = FeatureSet.Names.Select(_ => new float[rows]).ToArray();
        var labels = new float[rows];
        var idle = Array.IndexOf(FeatureSet.Names, "minutes_idle");
        var removals = Array.IndexOf(FeatureSet.Names, "cart_removals");
        for (var r = 0; r < rows; r++)
        {
            for (var f = 0; f < columns.Length; f++)
            {
                columns[f][r] = (float)(random.NextDouble() * 10);
            }

            var z = 0.6 * columns[idle][r] + 0.8 * columns[removals][r] - 6 + random.NextDouble() * 2 - 1;
            labels[r] = z > 0 ? 1 : 0;
        }

        return Dataset.Create(schema, columns, labels, TrainingSet.Label);
    }

    [Fact]
    public async Task A_promoted_model_is_hot_swapped_while_events_flow_without_scoring_errors()
    {
        await using var host = await DomainHost.StartAsync();
        var registry = host.Services.GetRequiredService<IModelRegistry>();
        await registry.EnsureSchemaAsync();
        var models = host.Services.GetRequiredService<ModelService>();
        var scorer = host.Services.GetRequiredService<ScorerProvider>();
        Assert.Equal("baseline-v1", scorer.Current.Version);

        var (train, validation) = Synthetic(3000, 1).SplitTail(0.2);
        var result = BoostingTrainer.Train(train, validation, new BoostingOptions { Rounds = 40, NumberOfLeaves = 8, Seed = 1, Threads = 1 });
        Assert.True(result.ValidationMetrics!.Auc > 0.9);

        // Carts keep arriving and going idle while the new version is promoted and picked up.
        var flowing = Task.Run(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                var shopper = "flow" + i;
                await host.Grains.GetGrain<IShopperGrain>(shopper).Connect();
                await host.IngestAsync(host.Add(shopper, 0, "A", 30));
            }
        });
        var id = await registry.AddCandidateAsync(result.Model);
        var promotion = await registry.TryPromoteAsync(id);
        Assert.Equal(PromotionOutcome.Promoted, promotion.Outcome);
        await models.RefreshAsync(CancellationToken.None);
        await flowing;
        Assert.Equal($"lightgbm-{id}", scorer.Current.Version);

        await host.AdvanceAsync(61);
        var carts = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => host.CartAsync("flow" + i)));
        Assert.All(carts, c => Assert.Equal($"lightgbm-{id}", c.ModelVersion));
        Assert.All(carts, c => Assert.InRange(c.Risk!.Value, 0, 1));
        Assert.Equal(0, host.Services.GetRequiredService<Diagnostics.DomainMetrics>().FailedTotal);

        // A worse candidate is not promoted: the active model stays.
        var (badTrain, badValidation) = Synthetic(300, 2).SplitTail(0.5);
        var shuffledLabels = badTrain.Labels!.Reverse().ToArray();
        var worse = BoostingTrainer.Train(Dataset.Create(badTrain.Schema, Enumerable.Range(0, badTrain.Schema.Count).Select(f => badTrain.GetColumn(f).ToArray()).ToArray(), shuffledLabels, TrainingSet.Label),
            badValidation, new BoostingOptions { Rounds = 5, NumberOfLeaves = 4, MinExamplesPerLeaf = 5, Seed = 1, Threads = 1 });
        var worseId = await registry.AddCandidateAsync(worse.Model);
        Assert.NotEqual(PromotionOutcome.Promoted, (await registry.TryPromoteAsync(worseId)).Outcome);
        await models.RefreshAsync(CancellationToken.None);
        Assert.Equal($"lightgbm-{id}", scorer.Current.Version);
    }

    [Fact]
    public void Training_rows_come_from_scored_carts_with_outcome_labels()
    {
        var now = DomainHost.Start.AddDays(10);
        CartState Cart(double? purchasedAfterHours, double scoredDaysAgo) => new()
        {
            ScoredAt = now.AddDays(-scoredDaysAgo),
            ScoredFeatures = new float[FeatureSet.Count],
            PurchasedAt = purchasedAfterHours is { } h ? now.AddDays(-scoredDaysAgo).AddHours(h) : null,
        };
        var (data, from, to) = TrainingSet.Build(
        [
            Cart(2, 5),      // converted within the horizon: 0
            Cart(48, 5),     // converted too late: 1
            Cart(null, 5),   // never converted: 1
            Cart(null, 0.1), // horizon not over yet: unknown, left out
            new CartState { ScoredAt = now }, // never scored: left out
        ], TimeSpan.FromHours(24), now);
        Assert.Equal(3, data.RowCount);
        Assert.Equal([0f, 1f, 1f], data.Labels!.OrderBy(l => l));
        Assert.NotNull(from);
        Assert.True(from <= to);
    }
}
