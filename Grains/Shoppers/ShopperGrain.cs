using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Sessions;
using CartRecovery.Grains.Abstractions.Shoppers;
using CartRecovery.Grains.Common;
using CartRecovery.Grains.Policy;

namespace CartRecovery.Grains.Shoppers;

/// <summary>
/// The shopper: deduplication of client retries, identity, consent, connection, frequency cap,
/// on-site nudges waiting for a browser and the features of its recent sessions. A batch of the
/// shopper's events goes to its cart grains from here, and the shopper's own state is written only
/// after theirs is durable: a crash in between makes the client retry, and the carts drop the ids
/// they hold.
/// </summary>
[GrainType("shopper")]
public sealed partial class ShopperGrain(
    [PersistentState("shopper")] IPersistentState<ShopperState> state,
    PolicyCache policy,
    DomainClock clock,
    GrainReferences grains) : Grain, IShopperGrain
{
    /// <summary>How many recent event ids each shopper remembers (the deduplication window in count).</summary>
    public const int RecentEventIds = 512;

    private readonly SerialStateWriter<ShopperState> _writer = new(state);
    private HashSet<string>? _recent;
    private int _connections;
    private int _applying;

    private ShopperState S => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        S.ShopperId = this.GetPrimaryKeyString();
        _recent = new HashSet<string>(S.RecentEventIds, StringComparer.Ordinal);

        // Connections live in the gateway; after a restart the browser reconnects and says so again.
        S.Connected = false;
        return Task.CompletedTask;
    }

    public async Task<BatchOutcome> Apply(EventBatch batch)
    {
        var outcome = new BatchOutcome();
        var touched = new List<SessionState>(2);
        Dictionary<string, List<StorefrontEvent>>? byCart = null;
        var applied = new List<string>(batch.Events.Count);
        // Most batches hold one or two events of a shopper; the set of ids seen in this batch is only needed past one.
        var inBatch = batch.Events.Count > 1 ? new HashSet<string>(StringComparer.Ordinal) : null;
        foreach (var e in batch.Events)
        {
            if (_recent!.Contains(e.EventId) || (inBatch is not null && !inBatch.Add(e.EventId)))
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
                Add(byCart ??= new Dictionary<string, List<StorefrontEvent>>(StringComparer.Ordinal), cartId, e);
            }
        }

        outcome.Applied = applied.Count;
        if (applied.Count == 0)
        {
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

            await _writer.SaveAsync();
        }
        catch
        {
            // What this activation holds may now be ahead of storage; the retry starts from storage.
            this.DeactivateOnIdle();
            throw;
        }
        finally
        {
            _applying--;
        }

        return outcome;
    }

    private static void Add(Dictionary<string, List<StorefrontEvent>> groups, string key, StorefrontEvent e)
    {
        if (!groups.TryGetValue(key, out var list))
        {
            groups[key] = list = new List<StorefrontEvent>(4);
        }

        list.Add(e);
    }

    private void Remember(string eventId)
    {
        _recent!.Add(eventId);
        S.RecentEventIds.Add(eventId);
        if (S.RecentEventIds.Count > RecentEventIds)
        {
            var drop = S.RecentEventIds.Count - RecentEventIds;
            for (var i = 0; i < drop; i++)
            {
                _recent.Remove(S.RecentEventIds[i]);
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
        // make the batch's effects durable before its carts' are.
        if (permit.Allowed && _applying == 0)
        {
            await _writer.SaveAsync();
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
