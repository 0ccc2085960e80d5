using CartRecovery.Grains.Scoring;
using CartRecovery.Model.Onnx;

namespace CartRecovery.Grains.Models;

/// <summary>
/// Scores <see cref="FeatureSet"/> vectors with an ONNX model in process, on this silo's one ONNX Runtime
/// session for the active model. The model's columns are matched to FeatureSet by name once; when they are
/// FeatureSet itself (every model we train) the vector goes in as it is.
/// </summary>
public sealed class ModelScorer : IRiskScorer, IDisposable
{
    private readonly OnnxScorer _onnx;
    private readonly int[]? _map;
    private volatile IRiskScorer? _successor;

    /// <exception cref="ModelFormatException">The model takes a column FeatureSet does not have.</exception>
    public ModelScorer(OnnxModel model, string version)
    {
        var names = model.Features.Select(f => f.Name).ToArray();
        var map = names.Select(n => Array.IndexOf(FeatureSet.Names, n)).ToArray();
        if (Array.IndexOf(map, -1) is >= 0 and var unknown)
        {
            throw new ModelFormatException(
                $"model {version}: feature '{names[unknown]}' is not in the serving feature set ({string.Join(", ", FeatureSet.Names)})");
        }

        _map = map.SequenceEqual(Enumerable.Range(0, FeatureSet.Count)) ? null : map;
        Version = version;
        _onnx = model.CreateScorer(intraOpThreads: 1);
    }

    public string Version { get; }

    public double Score(ReadOnlySpan<float> features)
    {
        bool scored;
        float p;
        if (_map is null)
        {
            scored = _onnx.TryScore(features, out p);
        }
        else
        {
            Span<float> row = _map.Length <= 64 ? stackalloc float[_map.Length] : new float[_map.Length];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = features[_map[i]];
            }

            scored = _onnx.TryScore(row, out p);
        }

        // False only after Retire: this caller fetched the scorer just before a swap, so the new model answers.
        return scored ? p : (_successor ?? throw new ObjectDisposedException(Version)).Score(features);
    }

    /// <summary>
    /// Called once <paramref name="successor"/> is in the provider: new scores on this instance go to it, and the
    /// session is disposed as soon as the scores already running on it have finished.
    /// </summary>
    public void Retire(IRiskScorer successor)
    {
        _successor = successor;
        _onnx.Dispose();
    }

    public void Dispose() => _onnx.Dispose();
}
