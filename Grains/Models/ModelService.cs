using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Reports;
using CartRecovery.Grains.Scoring;
using CartRecovery.Model.Boosting;
using CartRecovery.Model.Onnx;
using CartRecovery.Model.Registry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Grains.Models;

/// <summary>What the admin view shows of the model in use.</summary>
public sealed record ActiveModelInfo(string Version, long? Id, ModelVersion? Row, IReadOnlyDictionary<string, double>? Importance);

/// <summary>Result of a training run.</summary>
public sealed record TrainingOutcome(bool Trained, string Message, long? CandidateId, PromotionResult? Promotion, double? ValidationAuc, int Rows);

/// <summary>
/// Keeps this silo's scorer on the registry's active version (polled, so every silo switches within seconds
/// without a restart) and trains candidates from cart outcomes on request. One trainer runs at a time across the
/// cluster (the registry's trainer lock). A swap replaces the ONNX Runtime session atomically; the old session
/// is disposed once the scores running on it have finished.
/// </summary>
public sealed partial class ModelService(IModelRegistry registry, ScorerProvider scorer, ICartStateSource carts, TimeProvider time, ILogger<ModelService> log)
    : BackgroundService
{
    /// <summary>Fraction of the most recent rows held out to validate (and early-stop) a training run.</summary>
    public const double ValidationFraction = 0.2;

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private long? _activeId;
    private long? _unservableId;
    private ModelScorer? _current;

    public static TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    public ActiveModelInfo Active { get; private set; } = new("baseline-v1", null, null, null);

    public IModelRegistry Registry => registry;

    public override void Dispose()
    {
        base.Dispose();
        _current?.Dispose();
        _refresh.Dispose();
    }

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
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            var active = (await registry.ListAsync(cancellationToken)).FirstOrDefault(v => v.Status == ModelStatus.Active);
            if (active is null || active.Id == _activeId || active.Id == _unservableId)
            {
                return;
            }

            var row = await registry.GetAsync(active.Id, cancellationToken);
            if (row is null)
            {
                return;
            }

            ModelScorer next;
            OnnxModel model;
            try
            {
                model = row.LoadModel();
                next = new ModelScorer(model, $"{model.Info.Algorithm}-{row.Id}");
            }
            catch (ModelFormatException e)
            {
                // Not retried every poll: the same row cannot become servable; a newer promotion is picked up.
                _unservableId = row.Id;
                LogUnservable(log, row.Id, e.Message);
                return;
            }

            var previous = _current;
            scorer.Swap(next);
            _current = next;
            previous?.Retire(next);
            _activeId = row.Id;
            Active = new ActiveModelInfo(next.Version, row.Id, row with { Payload = null }, row.FeatureImportance ?? model.Info.FeatureImportance);
            LogSwapped(log, next.Version);
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>Trains a candidate on the stored cart outcomes and promotes it if it validates at least as well.</summary>
    /// <exception cref="InvalidOptionException">An option is out of range.</exception>
    public async Task<TrainingOutcome> TrainAsync(BoostingOptions options, TimeSpan labelHorizon, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        options.Validate();
        await using var trainerLock = await registry.TryAcquireTrainerLockAsync(cancellationToken);
        if (trainerLock is null)
        {
            return new TrainingOutcome(false, "another trainer is running in the cluster", null, null, null, 0);
        }

        var scored = new List<CartState>();
        await foreach (var cart in carts.ReadAllAsync(cancellationToken))
        {
            if (cart.ScoredFeatures is not null)
            {
                scored.Add(cart);
            }
        }

        var (data, from, to) = TrainingSet.Build(scored, labelHorizon, time.GetUtcNow());
        var (train, validation) = data.RowCount >= 2 ? data.SplitTail(ValidationFraction) : (data, data);
        var abandoned = data.Labels!.Count(l => l > 0.5f);
        var trainAbandoned = train.Labels!.Count(l => l > 0.5f);
        if (data.RowCount < 50 || trainAbandoned == 0 || trainAbandoned == train.RowCount)
        {
            return new TrainingOutcome(false, $"not enough labelled carts to train ({data.RowCount} rows, {abandoned} abandoned)", null, null, null, data.RowCount);
        }

        var result = await Task.Run(() => BoostingTrainer.Train(train, validation, options, progress, cancellationToken), cancellationToken);
        var model = result.Model.WithInfo(result.Model.Info with { TrainingFrom = from, TrainingTo = to });
        var id = await registry.AddCandidateAsync(model, cancellationToken);
        var promotion = await registry.TryPromoteAsync(id, cancellationToken);
        await RefreshAsync(cancellationToken);
        LogTrained(log, id, result.Model.Info.Algorithm, result.Trees, result.ValidationMetrics?.Auc ?? double.NaN, promotion.Outcome);
        return new TrainingOutcome(true, "trained", id, promotion, result.ValidationMetrics?.Auc, data.RowCount);
    }

    [LoggerMessage(4000, LogLevel.Warning, "reading the model registry failed; keeping the current model")]
    private static partial void LogRefreshFailed(ILogger logger, Exception error);

    [LoggerMessage(4001, LogLevel.Information, "now scoring with model {Version}")]
    private static partial void LogSwapped(ILogger logger, string version);

    [LoggerMessage(4002, LogLevel.Error, "active model {Id} cannot be served ({Reason}); keeping the current model")]
    private static partial void LogUnservable(ILogger logger, long id, string reason);

    [LoggerMessage(4003, LogLevel.Information, "trained candidate {Id} ({Algorithm}, {Trees} trees, validation AUC {Auc:F4}): {Outcome}")]
    private static partial void LogTrained(ILogger logger, long id, string algorithm, int trees, double auc, PromotionOutcome outcome);
}
