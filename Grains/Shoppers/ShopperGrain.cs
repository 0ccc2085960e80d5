using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Sessions;
using CartRecovery.Grains.Abstractions.Shoppers;
using CartRecovery.Grains.Common;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Policy;

namespace CartRecovery.Grains.Shoppers;

/// <summary>
/// The shopper: deduplication of client retries, identity, consent, connection, frequency cap,
/// on-site nudges waiting for a browser and the features of its recent sessions. A batch of the
/// shopper's events goes to its cart grains from here, and the shopper's own state is written only
/// after theirs is durable: a crash in between makes the client retry, and the carts drop the ids
/// they hold. With the event journal (embedded silo), a batch is durable as a journal entry before
/// the shopper applies it, and the shopper's state is written behind (<see cref="EventJournal"/>).
/// </summary>
[GrainType("shopper")]
public sealed partial class ShopperGrain(
    [PersistentState("shopper")] IPersistentState<ShopperState> state,
    PolicyCache policy,
    DomainClock clock,
    GrainReferences grains,
    EventJournal journal) : Grain, IShopperGrain
{
    /// <summary>How many recent event ids each shopper remembers (the deduplication window in count).</summary>
    public const int RecentEventIds = 512;

    // Up to this many ids are searched in the state's list; a shopper holding more gets a set of them.
    // Most shoppers send a handful of events, and a short list is searched faster than it is hashed.
    private const int ListedIds = 16;

    private readonly SerialStateWriter<ShopperState> _writer = new(state);
    private HashSet<string>? _recent;
    private int _connections;
    private int _applying;

    // Journal entries applied to this activation whose effects its stored state does not hold yet.
    private List<long>? _unwritten;
    private IGrainTimer? _flush;

    // A nudge permit was granted while a batch applied: that batch's end writes the state.
    private bool _permitInFlight;

    private ShopperState S => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        S.ShopperId = this.GetPrimaryKeyString();
        _recent = S.RecentEventIds.Count > ListedIds ? new HashSet<string>(S.RecentEventIds, StringComparer.Ordinal) : null;

        // Connections live in the gateway; after a restart the browser reconnects and says so again.
        S.Connected = false;
        return Task.CompletedTask;
    }

    public Task<BatchOutcome> Apply(EventBatch batch) => ApplyAsync(batch, null);

    public Task<BatchOutcome> ApplyJournaled(EventBatch batch, long entry) => ApplyAsync(batch, entry);

    private async Task<BatchOutcome> ApplyAsync(EventBatch batch, long? entry)
    {
        var outcome = new BatchOutcome();
        var touched = new List<SessionState>(2);
        Dictionary<string, List<StorefrontEvent>>? byCart = null;
        var applied = new List<string>(batch.Events.Count);
        // Most batches hold one or two events of a shopper: repeats within the batch are looked up
        // among the ids it applied so far, and only a long batch gets a set of them.
        var inBatch = batch.Events.Count > ListedIds ? new HashSet<string>(StringComparer.Ordinal) : null;
        foreach (var e in batch.Events)
        {
            if (Seen(e.EventId) || (inBatch is not null ? !inBatch.Add(e.EventId) : applied.Contains(e.EventId)))
            {
                outcome.Duplicates++;
                continue;
            }

            Update(e);
            applied.Add(e.EventId);
            var session = SessionOf(e);
            ApplyToSession(session, e);
            if (!touched.Contains(session))
            {
                touched.Add(session);
            }

            if (EventTypes.TouchesCart(e.Type) && CartOf(e) is { } cartId)
            {
                EventGroups.Add(byCart ??= new Dictionary<string, List<StorefrontEvent>>(StringComparer.Ordinal), cartId, e);
            }
        }

        outcome.Applied = applied.Count;
        if (applied.Count == 0)
        {
            if (entry is { } nothingNew)
            {
                journal.Release(nothingNew, S.ShopperId);
            }

            return outcome;
        }

        _applying++;
        try
        {
            foreach (var session in touched)
            {
                DescribeShopper(session);
            }

            if (byCart is not null)
            {
                var key = S.ShopperId;
                var calls = new List<Task>(byCart.Count);
                foreach (var (cart, events) in byCart)
                {
                    calls.Add(grains.Get<ICartGrain>($"{key}/{cart}").Apply(new EventBatch(events)));
                }

                await Task.WhenAll(calls);
            }

            foreach (var id in applied)
            {
                Remember(id);
            }

            if (entry is { } journaled)
            {
                (_unwritten ??= []).Add(journaled);
                _flush ??= this.RegisterGrainTimer(FlushAsync, journal.FlushDelay, Timeout.InfiniteTimeSpan);
            }

            // The journal replays events, not the nudge permits granted while they applied.
            if (entry is null || _permitInFlight)
            {
                _permitInFlight = false;
                await SaveAsync();
            }
        }
        catch
        {
            // What this activation holds may now be ahead of storage; the retry starts from storage.
            // (This batch's own entry is the caller's to hand over.)
            HandBackUnwritten();
            this.DeactivateOnIdle();
            throw;
        }
        finally
        {
            _applying--;
        }

        return outcome;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_unwritten is not null)
        {
            try
            {
                await SaveAsync();
            }
            catch
            {
                HandBackUnwritten();
            }
        }
    }

    /// <summary>This activation's state will not be stored: the journal applies its unwritten entries again to the next one.</summary>
    private void HandBackUnwritten()
    {
        if (_unwritten is { } lost)
        {
            _unwritten = null;
            journal.ReplayLater(S.ShopperId, lost);
        }
    }

    /// <summary>Writes the state; the journal entries it then holds are released once it is stored.</summary>
    private async Task SaveAsync()
    {
        var included = _unwritten;
        _unwritten = null;
        _flush?.Dispose();
        _flush = null;
        try
        {
            await _writer.SaveAsync();
        }
        catch
        {
            if (included is not null)
            {
                // Storage unavailable: tried again after the same delay (the entries stay in the journal meanwhile).
                (_unwritten ??= []).InsertRange(0, included);
                _flush ??= this.RegisterGrainTimer(FlushAsync, journal.FlushDelay, Timeout.InfiniteTimeSpan);
            }

            throw;
        }

        if (included is not null)
        {
            foreach (var entry in included)
            {
                journal.Release(entry, S.ShopperId);
            }
        }
    }

    private async Task FlushAsync()
    {
        try
        {
            await SaveAsync();
        }
        catch
        {
            // SaveAsync kept the entries and set the next attempt; the storage logged the failure.
        }
    }

    private bool Seen(string eventId) => _recent?.Contains(eventId) ?? S.RecentEventIds.Contains(eventId);

    private void Remember(string eventId)
    {
        S.RecentEventIds.Add(eventId);
        if (_recent is not null)
        {
            _recent.Add(eventId);
        }
        else if (S.RecentEventIds.Count > ListedIds)
        {
            _recent = new HashSet<string>(S.RecentEventIds, StringComparer.Ordinal);
        }

        if (S.RecentEventIds.Count > RecentEventIds)
        {
            var drop = S.RecentEventIds.Count - RecentEventIds;
            for (var i = 0; i < drop; i++)
            {
                _recent?.Remove(S.RecentEventIds[i]);
            }

            S.RecentEventIds.RemoveRange(0, drop);
        }
    }

    /// <summary>The cart an event belongs to; a nudge response names it through the nudge id.</summary>
    private string? CartOf(StorefrontEvent e) =>
        EventTypes.IsNudgeResponse(e.Type) ? CartOfNudge(e.Nudge!.NudgeId, S.ShopperId) : CartIdFor(e);

    /// <summary>Nudge ids are "shopper/cart:stage"; the cart is recovered from the id.</summary>
    internal static string? CartOfNudge(string nudgeId, string shopperId)
    {
        var prefix = shopperId + "/";
        var colon = nudgeId.LastIndexOf(':');
        return nudgeId.StartsWith(prefix, StringComparison.Ordinal) && colon > prefix.Length ? nudgeId[prefix.Length..colon] : null;
    }

    /// <summary>
    /// The cart an event belongs to: its own cart_id, else the shopper's active cart while it is
    /// fresh, else a new cart named after the session.
    /// </summary>
    private string CartIdFor(StorefrontEvent e)
    {
        if (e.CartId is { Length: > 0 } explicitId)
        {
            return explicitId;
        }

        var expire = TimeSpan.FromHours(policy.Current.ExpireAfterHours);
        if (S.ActiveCartId is { } active && S.LastCartActivityAt is { } last && e.OccurredAt - last < expire)
        {
            return active;
        }

        return SessionCartId(e.SessionId);
    }

    /// <summary>The cart a shopper opens when a session's cart event names none and no fresh cart is active.</summary>
    internal static string SessionCartId(string sessionId) => "c-" + sessionId;

    public async Task<NudgePermit> RequestNudge(NudgeRequest request)
    {
        var permit = Decide(request);
        // While a batch is in flight its write carries this change; writing here as well would
        // make the batch's effects durable before its carts' are. (A journaled batch writes at its
        // end when a permit was granted meanwhile, rather than behind.)
        if (permit.Allowed && _applying == 0)
        {
            await SaveAsync();
        }
        else if (permit.Allowed)
        {
            _permitInFlight = true;
        }

        return permit;
    }

    public Task<List<NudgeMessage>> Connect()
    {
        _connections++;
        S.Connected = true;
        DelayDeactivation(Timeout.InfiniteTimeSpan);
        S.LastConnectedAt = clock.Now;
        return Task.FromResult(S.PendingNudges.ToList());
    }

    public Task Disconnect()
    {
        _connections = Math.Max(0, _connections - 1);
        S.Connected = _connections > 0;
        if (!S.Connected)
        {
            DelayDeactivation(TimeSpan.Zero);
        }

        return Task.CompletedTask;
    }

    public Task<ShopperState> Get() => Task.FromResult(S);
}
