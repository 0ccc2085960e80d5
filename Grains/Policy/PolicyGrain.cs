using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Json;
using CartRecovery.Runtime;

namespace CartRecovery.Grains.Policy;

/// <summary>The stored campaign policy. Updates are validated, versioned and written at once.</summary>
public sealed class PolicyGrain([PersistentState(PolicyCache.StateName)] IPersistentState<CampaignPolicy> state, PolicyCache cache) : Grain, IPolicyGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!state.RecordExists)
        {
            state.State = Snapshots.Copy(cache.Current);
        }

        return Task.CompletedTask;
    }

    public Task<CampaignPolicy> Get() => Task.FromResult(Snapshots.Copy(state.State));

    public async Task<CampaignPolicy> Update(CampaignPolicy policy, long expectedVersion)
    {
        if (PolicyValidator.Validate(policy) is { } error)
        {
            throw new ArgumentException(error, nameof(policy));
        }

        if (expectedVersion != state.State.Version)
        {
            throw new InconsistentStateException($"policy: expected version {expectedVersion} but the current version is {state.State.Version}", expectedVersion.ToString(), state.State.Version.ToString());
        }

        var next = Snapshots.Copy(policy);
        next.Version = state.State.Version + 1;
        var previous = state.State;
        state.State = next;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State = previous;
            throw;
        }

        cache.Offer(Snapshots.Copy(next));
        return Snapshots.Copy(next);
    }
}
