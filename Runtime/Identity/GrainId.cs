namespace CartRecovery.Runtime;

/// <summary>
/// Identity of a grain: its registered type name and a string key. Keys of the form
/// <c>"owner/rest"</c> are placed by <c>owner</c> alone, so grains that belong to one shopper
/// live in the same partition (and therefore on the same silo) as that shopper.
/// </summary>
public readonly record struct GrainId(string Type, string Key)
{
    /// <summary>The part of the key that decides placement.</summary>
    public string PartitionKey => PartitionKeyOf(Key);

    public static string PartitionKeyOf(string key)
    {
        var slash = key.IndexOf('/');
        return slash > 0 ? key[..slash] : key;
    }

    public override string ToString() => $"{Type}/{Key}";
}
