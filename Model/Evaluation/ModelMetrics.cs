namespace CartRecovery.Model.Evaluation;

/// <summary>Validation quality of a model, stored with it and in the registry to decide promotion.</summary>
public sealed record ModelMetrics(
    double Auc,
    double PrAuc,
    double LogLoss,
    int Rows,
    int Positives,
    IReadOnlyList<CalibrationBin> Calibration);
