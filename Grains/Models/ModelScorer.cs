using CartRecovery.Grains.Scoring;
using CartRecovery.Model.Scoring;

namespace CartRecovery.Grains.Models;

/// <summary>
/// Scores with a trained model in process. The model's features are matched to
/// <see cref="FeatureSet"/> by name once, so scoring is an index copy and a tree walk.
/// </summary>
public sealed class ModelScorer : IRiskScorer
{
    private readonly GbdtModel _model;
    private readonly int[] _map;

    public ModelScorer(GbdtModel model, string version)
    {
        _model = model;
        Version = version;
        _map = model.Features.Select(f => Array.IndexOf(FeatureSet.Names, f.Name)).ToArray();
    }

    public string Version { get; }

    public double Score(ReadOnlySpan<float> features)
    {
        Span<float> row = _map.Length <= 64 ? stackalloc float[_map.Length] : new float[_map.Length];
        for (var i = 0; i < _map.Length; i++)
        {
            row[i] = _map[i] >= 0 ? features[_map[i]] : float.NaN;
        }

        return _model.Predict(row);
    }
}
