using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Registry;

/// <summary>
/// Versioned store of models in the model_versions table. Only that table (and, for SQLite, a lock table)
/// is ever created, so it can share a database with other components.
/// </summary>
public interface IModelRegistry
{
    /// <summary>Creates the table and indexes if missing; safe to call repeatedly and concurrently.</summary>
    Task EnsureSchemaAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores the model (its ONNX bytes, metadata, validation metrics and feature importance) as a candidate and returns its id.</summary>
    Task<long> AddCandidateAsync(OnnxModel model, CancellationToken cancellationToken = default);

    Task<ModelVersion?> GetAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Every version, newest first, without payloads.</summary>
    Task<IReadOnlyList<ModelVersion>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>The active version with its payload, or null before the first promotion.</summary>
    Task<ModelVersion?> GetActiveAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// In one transaction: makes the candidate active if its validation AUC is at least the active model's
    /// (or nothing is active), retiring the previous active version; otherwise changes nothing and says why.
    /// </summary>
    Task<PromotionResult> TryPromoteAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>The cluster-wide trainer lock, or null when another holder has it.</summary>
    Task<ITrainerLock?> TryAcquireTrainerLockAsync(CancellationToken cancellationToken = default);
}
