using CartRecovery.Model.Evaluation;
using CartRecovery.Model.Scoring;

namespace CartRecovery.Model.Registry;

/// <summary>One row of model_versions. <see cref="Payload"/> (the model file) is null in list results to keep them light.</summary>
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
    string? Payload)
{
    /// <summary>Parses the stored model file, verifying its checksum.</summary>
    public GbdtModel LoadModel() =>
        ModelFile.Parse(Payload ?? throw new InvalidOperationException($"model version {Id} was listed without its payload; use GetAsync"), $"model_versions id {Id}");
}
