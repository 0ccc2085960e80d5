using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Sessions;
using CartRecovery.Grains.Abstractions.Shoppers;
using CartRecovery.Grains.Common;
using CartRecovery.Grains.Shoppers;

namespace CartRecovery.Grains.Sessions;

/// <summary>
/// Session features as the previous release kept them, one grain per session. The shopper now keeps
/// its sessions' features in its own state; a cart whose session began before the upgrade reads
/// them here once while it scores. <see cref="Apply"/> serves shoppers of the previous release while
/// a rolling upgrade runs both releases, exactly as that release applied events.
/// </summary>
[GrainType("session")]
public sealed class SessionGrain([PersistentState("session")] IPersistentState<SessionState> state) : Grain, ISessionGrain
{
    /// <summary>Event ids remembered, so a batch retried after its shopper failed to commit counts nothing twice.</summary>
    private const int RecentEventIds = 256;

    private readonly SerialStateWriter<SessionState> _writer = new(state);

    private SessionState S => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.IndexOf('/');
        S.ShopperId = key[..slash];
        S.SessionId = key[(slash + 1)..];
        return Task.CompletedTask;
    }

    public async Task Apply(EventBatch batch, ShopperDecision shopper)
    {
        var recent = S.RecentEventIds ??= new();
        var changed = false;
        foreach (var e in batch.Events)
        {
            if (recent.Contains(e.EventId))
            {
                continue;
            }

            recent.Add(e.EventId);
            if (recent.Count > RecentEventIds)
            {
                recent.RemoveAt(0);
            }

            ShopperGrain.ApplyToSession(S, e);
            changed = true;
        }

        if (!changed)
        {
            return;
        }

        S.Returning = shopper.Returning;
        S.PastPurchases = shopper.PastPurchases;
        S.PastNudgeClicks = shopper.PastNudgeClicks;
        try
        {
            await _writer.SaveAsync();
        }
        catch
        {
            this.DeactivateOnIdle();
            throw;
        }
    }

    public Task<SessionState> Get() => Task.FromResult(S);
}
