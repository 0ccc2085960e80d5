namespace CartRecovery.Model.Evaluation;

/// <summary>Rows whose predicted probability fell in [Lower, Upper); a calibrated model has MeanPredicted ≈ ObservedRate.</summary>
public sealed record CalibrationBin(double Lower, double Upper, int Count, double MeanPredicted, double ObservedRate);
