using System.Text.Json;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Json;
using CartRecovery.Runtime.Storage;

namespace CartRecovery.Grains.Policy;

/// <summary>
/// The policy every grain of this silo reads, without a grain call. It follows the stored policy
/// (written through the policy grain) by polling, so all silos converge within the refresh interval.
/// </summary>
public sealed class PolicyCache(CampaignPolicy initial, IGrainStorage storage)
{
    public const string GrainType = "policy";
    public const string GrainKey = "default";
    public const string StateName = "policy";

    private volatile CampaignPolicy _current = initial;

    public CampaignPolicy Current => _current;

    /// <summary>Adopts a policy if it is newer than the one held.</summary>
    public void Offer(CampaignPolicy policy)
    {
        if (policy.Version >= _current.Version)
        {
            _current = policy;
        }
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var stored = await storage.ReadAsync(GrainType, GrainKey, StateName, cancellationToken);
        if (stored is not null && JsonSerializer.Deserialize(stored.Json, GrainsJsonContext.Default.CampaignPolicy) is { } policy)
        {
            Offer(policy);
        }
    }
}
