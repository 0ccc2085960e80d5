using CartRecovery.Grains.Abstractions.Policy;

namespace CartRecovery.Grains.Policy;

/// <summary>
/// The policy every grain of this silo reads, without a grain call. It follows the policy grain
/// (where edits made through any gateway land) by polling, so all silos converge within the
/// refresh interval.
/// </summary>
public sealed class PolicyCache(CampaignPolicy initial)
{
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

    public async Task RefreshAsync(IGrainFactory grains)
    {
        Offer(await grains.GetGrain<Abstractions.IPolicyGrain>(GrainKey).Get());
    }
}
