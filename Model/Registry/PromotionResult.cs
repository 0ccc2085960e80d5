namespace CartRecovery.Model.Registry;

public enum PromotionOutcome
{
    Promoted,
    NotFound,

    /// <summary>The version is already active or was retired.</summary>
    NotCandidate,

    /// <summary>The candidate's validation AUC is below the active model's.</summary>
    LowerAuc,

    /// <summary>The candidate has no validation AUC to compare with the active model's.</summary>
    MissingMetrics,
}

/// <param name="PreviousActiveId">The version retired by this promotion, or the one that stayed active.</param>
public sealed record PromotionResult(
    long Id,
    PromotionOutcome Outcome,
    long? PreviousActiveId,
    double? CandidateAuc,
    double? ActiveAuc,
    string Reason)
{
    public bool Promoted => Outcome == PromotionOutcome.Promoted;
}
