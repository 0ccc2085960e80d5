using CartRecovery.Model.Data;
using CartRecovery.Model.Evaluation;

namespace CartRecovery.Model.Onnx;

/// <summary>
/// What a model is and how it was made, stored inside its ONNX file (metadata_props) and, column by column, in
/// the registry. No wall-clock time is kept here so that the same data and seed give a byte-identical file.
/// </summary>
public sealed record ModelInfo
{
    /// <summary>"lightgbm" or "fasttree" for our trainer, "xgboost" for a converted booster, "onnx" for an imported file.</summary>
    public string Algorithm { get; init; } = "onnx";

    public string? LabelName { get; init; }

    /// <summary>The input tensor's columns, in order; categoricals carry their category codes.</summary>
    public IReadOnlyList<FeatureInfo> Features { get; init; } = [];

    public IReadOnlyDictionary<string, double> HyperParameters { get; init; } = new SortedDictionary<string, double>(StringComparer.Ordinal);

    /// <summary>First and last event time of the training data, when the caller knows them.</summary>
    public DateTimeOffset? TrainingFrom { get; init; }

    public DateTimeOffset? TrainingTo { get; init; }

    /// <summary>Metrics on the validation set (null for an import that was never evaluated).</summary>
    public ModelMetrics? Metrics { get; init; }

    /// <summary>Boosting rounds kept after early stopping.</summary>
    public int? BestIteration { get; init; }

    /// <summary>
    /// Split gain per feature name: relative to the top feature (1) for our trainer, XGBoost's total_gain for a
    /// converted booster, null when unknown (an imported ONNX file).
    /// </summary>
    public IReadOnlyDictionary<string, double>? FeatureImportance { get; init; }

    public DatasetSchema Schema => new(Features);
}
