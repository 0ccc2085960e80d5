using CartRecovery.Model.Evaluation;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Registry;

/// <summary>One row of model_versions. <see cref="Payload"/> (the ONNX file) is null in list results to keep them light.</summary>
public sealed record ModelVersion(
    long Id,
    string Algorithm,
    IReadOnlyList<string> Features,
    IReadOnlyDictionary<string, double> HyperParameters,
    DateTimeOffset? TrainingFrom,
    DateTimeOffset? TrainingTo,
    ModelMetrics? Metrics,
    ModelStatus Status,
    DateTimeOffset CreatedAt,
    byte[]? Payload)
{
    /// <summary>Total split gain per feature, recorded at training or import time (null when unknown).</summary>
    public IReadOnlyDictionary<string, double>? FeatureImportance { get; init; }

    /// <summary>Verifies and loads the stored ONNX file (checksum, ONNX Runtime load, input and output contract).</summary>
    /// <exception cref="ModelFormatException">The payload is not a servable model.</exception>
    public OnnxModel LoadModel() =>
        OnnxModel.Parse(Payload ?? throw new InvalidOperationException($"model version {Id} was listed without its payload; use GetAsync"), $"model_versions id {Id}");
}
