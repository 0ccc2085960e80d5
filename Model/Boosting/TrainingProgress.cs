namespace CartRecovery.Model.Boosting;

public enum TrainingStage
{
    /// <summary>Rows are being handed to the learner.</summary>
    Preparing,

    /// <summary>The learner is running; reported again about once a second with the elapsed time.</summary>
    Training,

    /// <summary>The trained ensemble is being written as ONNX and loaded back into ONNX Runtime.</summary>
    Exporting,

    /// <summary>The exported model is scoring the validation rows.</summary>
    Validating,

    Done,
}

/// <summary>
/// Where a training run is. ML.NET reports no per-round callback through its public API, so progress is by
/// stage, with a heartbeat while the learner runs and the rounds kept once it has finished.
/// </summary>
/// <param name="Heartbeat">A repeat of the Training stage while the learner runs, carrying only the elapsed time.</param>
public sealed record TrainingProgress(TrainingStage Stage, string Message, TimeSpan Elapsed, bool Heartbeat = false);
