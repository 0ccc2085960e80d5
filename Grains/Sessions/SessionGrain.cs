using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Sessions;

namespace CartRecovery.Grains.Sessions;

/// <summary>
/// Session features as the previous release stored them, one grain per session. Nothing writes
/// them any more (the shopper keeps its sessions' features in its own state); a cart whose session
/// began before the upgrade reads them here once while it scores.
/// </summary>
[GrainType("session")]
public sealed class SessionGrain([PersistentState("session")] IPersistentState<SessionState> state) : Grain, ISessionGrain
{
    public Task<SessionState> Get() => Task.FromResult(state.State);
}
