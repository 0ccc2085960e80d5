using CartRecovery.Model.Evaluation;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Model.Boosting;

/// <param name="Model">The exported ONNX model with its description, metrics included.</param>
/// <param name="Trees">Trees kept (after early stopping).</param>
/// <param name="BestIteration">The round early stopping chose, when it stopped the run.</param>
/// <param name="ValidationMetrics">Metrics of the exported model on the validation rows, when there were any.</param>
/// <param name="FitTime">Time in the learner alone, without export and validation.</param>
public sealed record TrainingResult(
    OnnxModel Model,
    int Trees,
    int? BestIteration,
    ModelMetrics? ValidationMetrics,
    TimeSpan Elapsed,
    TimeSpan FitTime)
{
    public bool StoppedEarly => BestIteration is not null;
}
