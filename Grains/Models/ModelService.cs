using System.Text.Json;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Scoring;
using CartRecovery.Model.Registry;
using CartRecovery.Model.Training;
using CartRecovery.Runtime.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Grains.Models;

/// <summary>What the admin view shows of the model in use.</summary>
public sealed record ActiveModelInfo(string Version, long? Id, ModelVersion? Row, IReadOnlyDictionary<string, double>? Importance);

/// <summary>Result of a training run.</summary>
public sealed record TrainingOutcome(bool Trained, string Message, long? CandidateId, PromotionResult? Promotion, double? ValidationAuc, int Rows);

/// <summary>
/// Keeps this silo's scorer on the registry's active version (polled, so every silo switches
/// within seconds without a restart) and trains candidates from cart outcomes on request. One
/// trainer runs at a time across the cluster (the registry's trainer lock).
/// </summary>
public sealed partial class ModelService(IModelRegistry registry, ScorerProvider scorer, IGrainStorage storage, TimeProvider time, ILogger<ModelService> log) : BackgroundService
{
    private long? _activeId;

    public static TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    public ActiveModelInfo Active { get; private set; } = new("baseline-v1", null, null, null);

    public IModelRegistry Registry => registry;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await registry.EnsureSchemaAsync(stoppingToken);
        using var timer = new PeriodicTimer(PollInterval);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRefreshFailed(log, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Loads the active version if it changed, then swaps the scorer atomically.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var active = (await registry.ListAsync(cancellationToken)).FirstOrDefault(v => v.Status == ModelStatus.Active);
        if (active is null || active.Id == _activeId)
        {
            return;
        }

        var row = await registry.GetAsync(active.Id, cancellationToken);
        if (row is null)
        {
            return;
        }

        var model = row.LoadModel();
        var version = $"gbdt-{row.Id}";
        scorer.Swap(new ModelScorer(model, version));
        _activeId = row.Id;
        Active = new ActiveModelInfo(version, row.Id, row with { Payload = null }, model.FeatureImportance());
        LogSwapped(log, version);
    }

    /// <summary>Trains a candidate on the stored cart outcomes and promotes it if it validates at least as well.</summary>
    public async Task<TrainingOutcome> TrainAsync(GbdtOptions options, TimeSpan labelHorizon, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        await using var trainerLock = await registry.TryAcquireTrainerLockAsync(cancellationToken);
        if (trainerLock is null)
        {
            return new TrainingOutcome(false, "another trainer is running in the cluster", null, null, null, 0);
        }

        var carts = new List<CartState>();
        await foreach (var (_, json) in storage.ScanAsync("cart", "cart", cancellationToken))
        {
            if (JsonSerializer.Deserialize(json, GrainsJsonContext.Default.CartState) is { ScoredFeatures: not null } cart)
            {
                cart.Events = [];
                carts.Add(cart);
            }
        }

        var (data, from, to) = TrainingSet.Build(carts, labelHorizon, time.GetUtcNow());
        var positives = data.Labels!.Count(l => l > 0.5f);
        if (data.RowCount < 50 || positives == 0 || positives == data.RowCount)
        {
            return new TrainingOutcome(false, $"not enough labelled carts to train ({data.RowCount} rows, {positives} abandoned)", null, null, null, data.RowCount);
        }

        var (train, validation) = data.SplitTail(0.2);
        var result = await Task.Run(() => GbdtTrainer.Train(train, validation, options, progress, cancellationToken), cancellationToken);
        var model = result.Model.WithMetadata(result.Model.Metadata with { TrainingFrom = from, TrainingTo = to });
        var id = await registry.AddCandidateAsync(model, cancellationToken);
        var promotion = await registry.TryPromoteAsync(id, cancellationToken);
        await RefreshAsync(cancellationToken);
        return new TrainingOutcome(true, "trained", id, promotion, result.ValidationMetrics?.Auc, data.RowCount);
    }

    [LoggerMessage(4000, LogLevel.Warning, "reading the model registry failed; keeping the current model")]
    private static partial void LogRefreshFailed(ILogger logger, Exception error);

    [LoggerMessage(4001, LogLevel.Information, "now scoring with model {Version}")]
    private static partial void LogSwapped(ILogger logger, string version);
}
