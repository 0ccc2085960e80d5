using CartRecovery.Gateway.Api;
using CartRecovery.Persistence;

namespace CartRecovery.Silo.Health;

/// <summary>Ready only while grain storage answers.</summary>
internal sealed class StorageReadiness(IGrainStateStore storage) : IReadinessCheck
{
    public string Name => "storage";

    public async Task<(bool Ok, string Detail)> CheckAsync(CancellationToken cancellationToken) =>
        await storage.PingAsync(cancellationToken) ? (true, "grain storage reachable") : (false, "grain storage unreachable");
}

/// <summary>Ready once this silo is an active member of its cluster (and no longer while it shuts down).</summary>
internal sealed class SiloReadiness(ILocalSiloDetails silo, IClusterMembershipService membership) : IReadinessCheck
{
    public string Name => "silo";

    public Task<(bool Ok, string Detail)> CheckAsync(CancellationToken cancellationToken)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        return Task.FromResult((status == SiloStatus.Active, $"{silo.Name} {status.ToString().ToLowerInvariant()}"));
    }
}
