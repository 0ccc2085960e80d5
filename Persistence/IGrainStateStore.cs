namespace CartRecovery.Persistence;

/// <summary>
/// Direct reads of stored grain states as JSON, for reports and lookups that must not activate
/// grains. Implemented by every grain storage of this library; get one by its storage name with
/// <see cref="Hosting.GrainStateStoreServiceProviderExtensions.GetRequiredGrainStateStore"/> (or
/// as a keyed <see cref="IGrainStateStore"/> service). Grain types and keys are the strings Orleans
/// uses: <c>grainId.Type.ToString()</c> and <c>grainId.Key.ToString()</c>.
/// </summary>
public interface IGrainStateStore
{
    /// <summary>Streams every stored state of one grain type and state name, in no particular order.</summary>
    IAsyncEnumerable<(string Key, string Json)> ScanAsync(string grainType, string stateName, CancellationToken cancellationToken);

    /// <summary>
    /// Keys of <paramref name="grainType"/> that equal <paramref name="keySuffix"/> or end with "/"
    /// + <paramref name="keySuffix"/> (a leading "/" is ignored): finds "shopper/cart" keys by cart
    /// id. At most 100 keys, in key order.
    /// </summary>
    Task<IReadOnlyList<string>> FindKeysAsync(string grainType, string keySuffix, CancellationToken cancellationToken);

    /// <summary>One stored state as JSON, or null when there is none.</summary>
    Task<string?> ReadJsonAsync(string grainType, string key, string stateName, CancellationToken cancellationToken);

    /// <summary>True when the database answers a query; false when it cannot be reached.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);
}
