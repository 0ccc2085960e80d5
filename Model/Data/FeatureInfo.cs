namespace CartRecovery.Model.Data;

/// <summary>
/// One model input. For categoricals the code of a category is its index in <see cref="Categories"/>,
/// so the list travels with the model and scoring encodes new rows exactly as training did.
/// </summary>
public sealed class FeatureInfo
{
    private readonly Dictionary<string, int>? _codes;

    public FeatureInfo(string name, FeatureKind kind, IReadOnlyList<string>? categories = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Kind = kind;
        Categories = kind == FeatureKind.Categorical ? categories ?? Array.Empty<string>() : Array.Empty<string>();
        if (kind == FeatureKind.Categorical)
        {
            _codes = new Dictionary<string, int>(Categories.Count, StringComparer.Ordinal);
            for (var i = 0; i < Categories.Count; i++)
            {
                if (!_codes.TryAdd(Categories[i], i))
                {
                    throw new ArgumentException($"feature '{name}' lists category '{Categories[i]}' twice", nameof(categories));
                }
            }
        }
    }

    public string Name { get; }

    public FeatureKind Kind { get; }

    public IReadOnlyList<string> Categories { get; }

    /// <summary>The code for a category, or NaN (missing) for empty or unseen text.</summary>
    public float EncodeCategory(ReadOnlySpan<char> value)
    {
        if (_codes is null)
        {
            throw new InvalidOperationException($"feature '{Name}' is {Kind}, not categorical");
        }

        if (value.IsWhiteSpace())
        {
            return float.NaN;
        }

        var lookup = _codes.GetAlternateLookup<ReadOnlySpan<char>>();
        return lookup.TryGetValue(value, out var code) ? code : float.NaN;
    }

    public override string ToString() => $"{Name} ({Kind})";
}
