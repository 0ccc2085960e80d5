using CartRecovery.Model.Evaluation;
using CartRecovery.Model.Scoring;

namespace CartRecovery.Model.Training;

/// <param name="Model">Trees up to and including <paramref name="BestRound"/>.</param>
/// <param name="RoundsTrained">Rounds actually run before stopping.</param>
/// <param name="ValidationMetrics">Metrics of <paramref name="Model"/> on the validation set, when one was given.</param>
public sealed record TrainingResult(
    GbdtModel Model,
    int RoundsTrained,
    int BestRound,
    bool StoppedEarly,
    ModelMetrics? ValidationMetrics,
    TimeSpan Elapsed);
