using CartRecovery.Gateway.Api;
using CartRecovery.Runtime;
using CartRecovery.Runtime.Storage;

namespace CartRecovery.Silo.Health;

/// <summary>Ready only while grain storage answers.</summary>
internal sealed class StorageReadiness(IGrainStorage storage) : IReadinessCheck
{
    public string Name => "storage";

    public async Task<(bool Ok, string Detail)> CheckAsync(CancellationToken cancellationToken) =>
        await storage.PingAsync(cancellationToken) ? (true, storage.ProviderName + " reachable") : (false, storage.ProviderName + " unreachable");
}

/// <summary>
/// A single silo must own every partition; a cluster silo is ready once it has joined (it may own
/// none when there are more silos than partitions).
/// </summary>
internal sealed class PartitionReadiness(GrainRuntime runtime) : IReadinessCheck
{
    public string Name => "partitions";

    public Task<(bool Ok, string Detail)> CheckAsync(CancellationToken cancellationToken)
    {
        var owned = runtime.OwnedPartitions.Count;
        var ok = !runtime.Options.OwnAllPartitions || owned == runtime.Map.Count;
        return Task.FromResult((ok, $"{owned} of {runtime.Map.Count} partitions owned"));
    }
}
