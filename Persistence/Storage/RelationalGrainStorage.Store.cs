using System.Runtime.CompilerServices;
using CartRecovery.Persistence.Internal;

namespace CartRecovery.Persistence.Storage;

// The reports API (IGrainStateStore) of a grain storage.
internal sealed partial class RelationalGrainStorage
{
    public async IAsyncEnumerable<(string Key, string Json)> ScanAsync(string grainType, string stateName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await _user.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var row in _user.Database.ScanAsync(grainType, stateName, cancellationToken).ConfigureAwait(false))
        {
            yield return row;
        }
    }

    public async Task<IReadOnlyList<string>> FindKeysAsync(string grainType, string keySuffix, CancellationToken cancellationToken)
    {
        await _user.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        return await _user.Database.FindKeysAsync(grainType, keySuffix, cancellationToken).ConfigureAwait(false);
    }

    public async Task<string?> ReadJsonAsync(string grainType, string key, string stateName, CancellationToken cancellationToken)
    {
        await _user.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        var stored = await _user.Database.ReadAsync(new StateKey(grainType, key, stateName)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return stored?.Json;
    }

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _user.Database.PingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }
}
