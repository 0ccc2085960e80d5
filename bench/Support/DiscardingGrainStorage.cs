using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CartRecovery.Grains.Json;
using CartRecovery.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Providers;
using Orleans.Storage;

namespace CartRecovery.Bench.Support;

/// <summary>
/// The grain storage of the ceiling runs: every write serializes the state to JSON exactly as the product's
/// provider does (the same source-generated context), then drops it and completes asynchronously, as a write to a
/// database that cost nothing would; reads find nothing. What the product reaches with it is what HTTP, Orleans and
/// the grains cost on their own: no storage provider can take the product above it.
/// </summary>
internal sealed class DiscardingGrainStorage : IGrainStorage, IGrainStateStore, IEventJournalStore, ILifecycleParticipant<ISiloLifecycle>
{
    private long _version;

    /// <summary>Makes it the default grain storage of the app being built (registered after the product's own).</summary>
    public static void Replace(WebApplicationBuilder builder)
    {
        var storage = new DiscardingGrainStorage();
        builder.Services.AddKeyedSingleton<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, storage);
    }

    // The product's storage registration hooks the provider into the silo's start; there is nothing to open.
    public void Participate(ISiloLifecycle lifecycle)
    {
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        JsonSerializer.SerializeToUtf8Bytes(grainState.State, (JsonTypeInfo<T?>)StateJsonContext.Default.Options.GetTypeInfo(typeof(T)));
        await Task.Yield();
        grainState.ETag = Interlocked.Increment(ref _version).ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    // The event journal's entries are dropped like the states (nothing to replay: nothing was kept).
    public async Task AppendAsync(long sequence, byte[] payload, CancellationToken cancellationToken) => await Task.Yield();

    public Task TrimBelowAsync(long sequence, CancellationToken cancellationToken) => Task.CompletedTask;

    public async IAsyncEnumerable<(long Sequence, byte[] Payload)> ReadAsync(long from, long to, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        yield break;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<(string Key, string Json)> ScanAsync(string grainType, string stateName, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        yield break;
    }

    public Task<IReadOnlyList<string>> FindKeysAsync(string grainType, string keySuffix, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    public Task<string?> ReadJsonAsync(string grainType, string key, string stateName, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    public Task<bool> PingAsync(CancellationToken cancellationToken) => Task.FromResult(true);
}
