namespace CartRecovery.Model.Training;

/// <summary>Binary log loss on margins: gradient p − y, hessian p(1 − p).</summary>
internal static class LogisticLoss
{
    /// <summary>Keeps Newton steps finite when a row is already predicted with near certainty (as XGBoost does).</summary>
    private const float MinHessian = 1e-16f;

    public static float BaseMargin(ReadOnlySpan<float> labels)
    {
        double positives = 0;
        foreach (var y in labels)
        {
            positives += y;
        }

        var rate = Math.Clamp(positives / labels.Length, 1e-6, 1 - 1e-6);
        return (float)Math.Log(rate / (1 - rate));
    }

    public static void Gradient(float margin, float label, out float g, out float h)
    {
        var p = 1f / (1f + MathF.Exp(-margin));
        g = p - label;
        h = MathF.Max(p * (1f - p), MinHessian);
    }

    /// <summary>−log-likelihood written as a softplus so large margins neither overflow nor lose precision.</summary>
    public static double Loss(float margin, float label)
    {
        double z = label > 0.5f ? -margin : margin;
        return Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z)));
    }
}
