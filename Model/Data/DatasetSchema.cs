namespace CartRecovery.Model.Data;

/// <summary>The ordered feature list; a feature's position is its index in a row vector.</summary>
public sealed class DatasetSchema
{
    private readonly Dictionary<string, int> _index;

    public DatasetSchema(IReadOnlyList<FeatureInfo> features)
    {
        Features = features;
        _index = new Dictionary<string, int>(features.Count, StringComparer.Ordinal);
        for (var i = 0; i < features.Count; i++)
        {
            if (!_index.TryAdd(features[i].Name, i))
            {
                throw new ArgumentException($"feature '{features[i].Name}' appears twice", nameof(features));
            }
        }
    }

    public IReadOnlyList<FeatureInfo> Features { get; }

    public int Count => Features.Count;

    /// <summary>Index of the named feature, or -1.</summary>
    public int IndexOf(string name) => _index.TryGetValue(name, out var i) ? i : -1;
}
