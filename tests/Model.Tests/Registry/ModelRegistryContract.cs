using CartRecovery.Model.Boosting;
using CartRecovery.Model.Data;
using CartRecovery.Model.Evaluation;
using CartRecovery.Model.Onnx;
using CartRecovery.Model.Registry;

namespace CartRecovery.Model.Tests.Registry;

/// <summary>The behaviour every <see cref="IModelRegistry"/> must have, run against each database.</summary>
public abstract class ModelRegistryContract : IAsyncLifetime
{
    private static readonly Lazy<OnnxModel> Trained = new(() =>
    {
        var rng = new Random(1);
        var x = Enumerable.Range(0, 400).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = x.Select(v => rng.NextDouble() < v ? 1f : 0f).ToArray();
        var data = Dataset.Create(new DatasetSchema([new FeatureInfo("x", FeatureKind.Numeric)]), [x], y, "label");
        return BoostingTrainer.Train(data, null, new BoostingOptions { Rounds = 5, NumberOfLeaves = 4, Threads = 1 }).Model;
    });

    protected IModelRegistry Registry { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await SetUpDatabaseAsync();
        Registry = CreateRegistry();
        await Registry.EnsureSchemaAsync();
    }

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Another registry instance on the same database, as a second silo would have.</summary>
    protected abstract IModelRegistry CreateRegistry();

    protected abstract Task SetUpDatabaseAsync();

    protected abstract Task ExecuteAsync(string sql);

    protected abstract Task<IReadOnlyList<string>> TablesAsync();

    protected static OnnxModel ModelWithAuc(double? auc) => Trained.Value.WithInfo(Trained.Value.Info with
    {
        Metrics = auc is { } a ? new ModelMetrics(a, 0.4, 0.5, 100, 30, Metrics.Calibration([0.2f, 0.7f], [0, 1])) : null,
        TrainingFrom = new DateTimeOffset(2019, 10, 1, 0, 0, 0, TimeSpan.Zero),
        TrainingTo = new DateTimeOffset(2019, 10, 1, 2, 40, 0, TimeSpan.Zero),
    });

    [Fact]
    public async Task Schema_creation_is_idempotent_and_leaves_other_tables_alone()
    {
        await ExecuteAsync("CREATE TABLE grain_state (id TEXT PRIMARY KEY, payload TEXT)");
        await ExecuteAsync("INSERT INTO grain_state VALUES ('a', 'b')");
        var before = await TablesAsync();
        await Registry.EnsureSchemaAsync();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => CreateRegistry().EnsureSchemaAsync()));
        Assert.Equal(before, await TablesAsync());
        Assert.Contains("model_versions", before);
        Assert.Contains("grain_state", before);
        Assert.All(before.Where(t => t != "grain_state"), t => Assert.StartsWith("model_", t));
    }

    [Fact]
    public async Task Stores_and_returns_a_candidate_with_its_payload_and_metadata()
    {
        var model = ModelWithAuc(0.71);
        var id = await Registry.AddCandidateAsync(model);
        var version = await Registry.GetAsync(id);

        Assert.NotNull(version);
        Assert.Equal(ModelStatus.Candidate, version.Status);
        Assert.Equal("lightgbm", version.Algorithm);
        Assert.Equal(["x"], version.Features);
        Assert.Equal(5, version.HyperParameters["rounds"]);
        Assert.Equal(0.71, version.Metrics!.Auc, 12);
        Assert.Equal(100, version.Metrics.Rows);
        Assert.Equal(2, version.Metrics.Calibration.Count(b => b.Count > 0));
        Assert.Equal(model.Info.TrainingFrom, version.TrainingFrom);
        Assert.Equal(model.Info.TrainingTo, version.TrainingTo);
        Assert.Equal(["x"], version.FeatureImportance!.Keys);
        Assert.True(version.FeatureImportance["x"] > 0);
        Assert.InRange(version.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(model.ToBytes(), version.Payload);
        using (var original = model.CreateScorer())
        using (var stored = version.LoadModel().CreateScorer())
        {
            Assert.Equal(original.Score([0.3f]), stored.Score([0.3f]));
        }

        Assert.Null(await Registry.GetAsync(id + 1000));
        Assert.Null(await Registry.GetActiveAsync());
    }

    [Fact]
    public async Task Lists_newest_first_without_payloads()
    {
        var a = await Registry.AddCandidateAsync(ModelWithAuc(0.6));
        var b = await Registry.AddCandidateAsync(ModelWithAuc(0.7));
        var list = await Registry.ListAsync();
        Assert.Equal([b, a], list.Select(v => v.Id));
        Assert.All(list, v => Assert.Null(v.Payload));
        Assert.All(list, v => Assert.NotNull(v.FeatureImportance));
    }

    [Fact]
    public async Task Promotes_only_when_auc_is_at_least_the_active_models()
    {
        var first = await Registry.AddCandidateAsync(ModelWithAuc(0.70));
        var worse = await Registry.AddCandidateAsync(ModelWithAuc(0.65));
        var equal = await Registry.AddCandidateAsync(ModelWithAuc(0.70));
        var unmeasured = await Registry.AddCandidateAsync(ModelWithAuc(null));

        var r1 = await Registry.TryPromoteAsync(first);
        Assert.Equal(PromotionOutcome.Promoted, r1.Outcome);
        Assert.Null(r1.PreviousActiveId);

        var r2 = await Registry.TryPromoteAsync(worse);
        Assert.Equal(PromotionOutcome.LowerAuc, r2.Outcome);
        Assert.Equal(first, r2.PreviousActiveId);
        Assert.Contains("0.6500 < active", r2.Reason);
        Assert.Equal(ModelStatus.Candidate, (await Registry.GetAsync(worse))!.Status);
        Assert.Equal(first, (await Registry.GetActiveAsync())!.Id);

        Assert.Equal(PromotionOutcome.MissingMetrics, (await Registry.TryPromoteAsync(unmeasured)).Outcome);

        var r3 = await Registry.TryPromoteAsync(equal);
        Assert.True(r3.Promoted);
        Assert.Equal(first, r3.PreviousActiveId);
        Assert.Equal(ModelStatus.Retired, (await Registry.GetAsync(first))!.Status);
        var active = await Registry.GetActiveAsync();
        Assert.Equal(equal, active!.Id);
        Assert.NotNull(active.Payload);

        Assert.Equal(PromotionOutcome.NotCandidate, (await Registry.TryPromoteAsync(first)).Outcome);
        Assert.Equal(PromotionOutcome.NotCandidate, (await Registry.TryPromoteAsync(equal)).Outcome);
        Assert.Equal(PromotionOutcome.NotFound, (await Registry.TryPromoteAsync(equal + 1000)).Outcome);
    }

    [Fact]
    public async Task Concurrent_promotions_leave_exactly_one_active_the_best()
    {
        var aucs = new[] { 0.61, 0.74, 0.66, 0.70, 0.73, 0.62, 0.69, 0.64 };
        var ids = new List<long>();
        foreach (var auc in aucs)
        {
            ids.Add(await Registry.AddCandidateAsync(ModelWithAuc(auc)));
        }

        // Each promotion on its own registry instance, as from different silos, all at once.
        var results = await Task.WhenAll(ids.Select(id => Task.Run(() => CreateRegistry().TryPromoteAsync(id))));
        var versions = await Registry.ListAsync();
        var active = Assert.Single(versions, v => v.Status == ModelStatus.Active);
        Assert.Equal(ids[1], active.Id);
        Assert.Equal(results.Count(r => r.Promoted) - 1, versions.Count(v => v.Status == ModelStatus.Retired));
        Assert.All(results.Where(r => !r.Promoted), r => Assert.Equal(PromotionOutcome.LowerAuc, r.Outcome));
    }

    /// <summary>
    /// Rows written before models were ONNX (a JSON text payload, in a table created with payload TEXT) stay
    /// readable after EnsureSchemaAsync, new ONNX rows can be added beside them, and loading an old one fails
    /// with a clear message instead of scoring with something that is not a model.
    /// </summary>
    [Fact]
    public async Task Legacy_json_payloads_stay_listed_and_fail_to_load_as_onnx()
    {
        await ExecuteAsync("DROP TABLE model_versions");
        await ExecuteAsync(LegacyTable);
        await ExecuteAsync("INSERT INTO model_versions (algorithm, features, hyper_parameters, metrics, status, created_at, payload) " +
            "VALUES ('gbdt', '[\"x\"]', '{}', '{\"auc\":0.7,\"rows\":10,\"positives\":3,\"calibration\":[]}', 'active', '2025-01-01T00:00:00Z', '{\"format\":\"cartrecovery.gbdt\"}')");
        await Registry.EnsureSchemaAsync();
        var legacy = await Registry.GetActiveAsync();
        Assert.Equal("gbdt", legacy!.Algorithm);
        Assert.Equal(0.7, legacy.Metrics!.Auc);
        Assert.Contains("not an ONNX model", Assert.Throws<ModelFormatException>(() => legacy.LoadModel()).Message);

        var id = await Registry.AddCandidateAsync(ModelWithAuc(0.8));
        Assert.True((await Registry.TryPromoteAsync(id)).Promoted);
        using var scorer = (await Registry.GetActiveAsync())!.LoadModel().CreateScorer();
        Assert.InRange(scorer.Score([0.5f]), 0, 1);
    }

    /// <summary>model_versions as it was created before payloads were ONNX bytes.</summary>
    protected abstract string LegacyTable { get; }

    [Fact]
    public async Task Trainer_lock_is_exclusive_until_released()
    {
        var other = CreateRegistry();
        var held = await Registry.TryAcquireTrainerLockAsync();
        Assert.NotNull(held);
        Assert.Null(await other.TryAcquireTrainerLockAsync());
        Assert.Null(await Registry.TryAcquireTrainerLockAsync());

        await held.DisposeAsync();
        await using var next = await other.TryAcquireTrainerLockAsync();
        Assert.NotNull(next);
        Assert.NotEqual(held.Holder, next.Holder);
    }

    [Fact]
    public async Task Only_one_of_many_concurrent_lock_attempts_wins()
    {
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => CreateRegistry().TryAcquireTrainerLockAsync())));
        try
        {
            Assert.Single(attempts, l => l is not null);
        }
        finally
        {
            foreach (var l in attempts.OfType<ITrainerLock>())
            {
                await l.DisposeAsync();
            }
        }
    }
}
