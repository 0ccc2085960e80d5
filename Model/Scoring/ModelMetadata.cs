using CartRecovery.Model.Evaluation;

namespace CartRecovery.Model.Scoring;

/// <summary>
/// What a model is and how it was made. No wall-clock time is kept here so that the same data and seed
/// give a byte-identical file; the registry records when a version was added.
/// </summary>
public sealed record ModelMetadata
{
    /// <summary>"gbdt" for our trainer, "xgboost" for an imported booster.</summary>
    public string Algorithm { get; init; } = "gbdt";

    public string? LabelName { get; init; }

    public IReadOnlyDictionary<string, double> HyperParameters { get; init; } = new SortedDictionary<string, double>(StringComparer.Ordinal);

    /// <summary>First and last event time of the training data, when the caller knows them.</summary>
    public DateTimeOffset? TrainingFrom { get; init; }

    public DateTimeOffset? TrainingTo { get; init; }

    /// <summary>Metrics on the validation set (null for an import that was never evaluated).</summary>
    public ModelMetrics? Metrics { get; init; }

    /// <summary>Number of boosting rounds kept (after early stopping).</summary>
    public int? BestIteration { get; init; }
}
