namespace CartRecovery.Model.Training;

/// <summary>State after a boosting round. Validation figures are NaN without a validation set; AUC also on unreported rounds.</summary>
public sealed record TrainingProgress(
    int Round,
    int MaxRounds,
    double TrainLogLoss,
    double ValidationLogLoss,
    double ValidationAuc,
    int BestRound,
    TimeSpan Elapsed);
