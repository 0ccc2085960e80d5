using CartRecovery.Model.Data;

namespace CartRecovery.Model.Scoring;

/// <summary>
/// A reusable input row for one model, filled by feature name so callers need not know the model's column
/// order or category codes. Unset features stay missing. Not thread-safe: keep one per grain or per thread.
/// </summary>
public sealed class FeatureVector
{
    private readonly GbdtModel _model;
    private readonly float[] _values;

    public FeatureVector(GbdtModel model)
    {
        _model = model;
        _values = new float[model.Schema.Count];
        Clear();
    }

    public ReadOnlySpan<float> Values => _values;

    /// <summary>Marks every feature missing.</summary>
    public void Clear() => Array.Fill(_values, float.NaN);

    /// <summary>Sets a numeric feature; false when the model has no feature of that name (it is then ignored).</summary>
    public bool Set(string name, float value) => TrySet(name, value);

    public bool Set(string name, bool value) => TrySet(name, value ? 1f : 0f);

    /// <summary>Sets a categorical feature from its text; text the model never saw counts as missing.</summary>
    public bool SetCategory(string name, string? value)
    {
        var i = _model.Schema.IndexOf(name);
        if (i < 0)
        {
            return false;
        }

        var feature = _model.Schema.Features[i];
        _values[i] = feature.Kind == FeatureKind.Categorical
            ? feature.EncodeCategory(value ?? "")
            : throw new InvalidOperationException($"feature '{name}' is {feature.Kind}, not categorical");
        return true;
    }

    public float Predict() => _model.Predict(_values);

    private bool TrySet(string name, float value)
    {
        var i = _model.Schema.IndexOf(name);
        if (i < 0)
        {
            return false;
        }

        _values[i] = value;
        return true;
    }
}
