using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Json;

namespace CartRecovery.Grains.Policy;

/// <summary>The stored campaign policy. Updates are validated, versioned and written at once.</summary>
[GrainType("policy")]
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

    public Task<CampaignPolicy> Get() => Task.FromResult(state.State);

    public async Task<CampaignPolicy> Update(CampaignPolicy policy, long expectedVersion)
    {
        if (PolicyValidator.Validate(policy) is { } error)
        {
            throw new ArgumentException(error, nameof(policy));
        }

        if (expectedVersion != state.State.Version)
        {
            throw new PolicyVersionConflictException(expectedVersion, state.State.Version);
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
        return next;
    }
}

/// <summary>An update named a policy version that is no longer the current one.</summary>
[GenerateSerializer, Alias("cr.PolicyVersionConflictException")]
public sealed class PolicyVersionConflictException : Exception
{
    public PolicyVersionConflictException(long expected, long current)
        : base($"policy: expected version {expected} but the current version is {current}")
    {
        Expected = expected;
        Current = current;
    }

    [Id(0)] public long Expected { get; }

    [Id(1)] public long Current { get; }
}
