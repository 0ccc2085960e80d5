using CartRecovery.Model.Scoring;

namespace CartRecovery.Model.Training;

/// <summary>Growable node arrays for one tree under construction.</summary>
internal sealed class TreeBuilder
{
    private readonly List<int> _feature = new();
    private readonly List<float> _value = new();
    private readonly List<int> _left = new();
    private readonly List<int> _right = new();
    private readonly List<bool> _defaultLeft = new();
    private readonly List<float> _gain = new();
    private readonly List<float> _cover = new();

    public List<int> Codes { get; } = new();

    public int Add()
    {
        _feature.Add(-1);
        _value.Add(0);
        _left.Add(-1);
        _right.Add(-1);
        _defaultLeft.Add(false);
        _gain.Add(0);
        _cover.Add(0);
        Codes.Add(0);
        return _feature.Count - 1;
    }

    public (int Left, int Right) Split(int node, int feature, float threshold, int code, bool defaultLeft, float gain, float cover)
    {
        var left = Add();
        var right = Add();
        _feature[node] = feature;
        _value[node] = threshold;
        _left[node] = left;
        _right[node] = right;
        _defaultLeft[node] = defaultLeft;
        _gain[node] = gain;
        _cover[node] = cover;
        Codes[node] = code;
        return (left, right);
    }

    public void SetLeaf(int node, float value, float cover)
    {
        _value[node] = value;
        _cover[node] = cover;
    }

    public RegressionTree ToTree() => new(
        _feature.ToArray(), _value.ToArray(), _left.ToArray(), _right.ToArray(), _defaultLeft.ToArray(), _gain.ToArray(), _cover.ToArray());
}
