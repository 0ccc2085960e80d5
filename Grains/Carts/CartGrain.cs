using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Common;
using CartRecovery.Grains.Diagnostics;
using CartRecovery.Grains.Nudges;
using CartRecovery.Grains.Policy;
using CartRecovery.Grains.Scoring;

namespace CartRecovery.Grains.Carts;

/// <summary>
/// A cart and its stage machine. Its next deadline is kept by a grain timer while the cart is
/// active (second precision) and by a durable reminder that brings it back after a crash, a
/// restart or a deactivation (see <see cref="ICartScheduler"/>). The nudge ledger lives in the
/// cart's state: one nudge per stage, with an id derived from the cart and stage.
/// </summary>
[GrainType("cart")]
public sealed partial class CartGrain(
    [PersistentState("cart")] IPersistentState<CartState> state,
    PolicyCache policy,
    ScorerProvider scorer,
    NudgeDispatcher dispatcher,
    DomainMetrics metrics,
    ICartScheduler scheduler,
    DomainClock clock,
    GrainReferences grains) : Grain, ICartGrain, IRemindable
{
    public const string TickReminder = "tick";

    /// <summary>Re-sends webhook nudges still in the ledger's outbox (after a crash or restart) until they are delivered.</summary>
    public const string OutboxReminder = "outbox";
    public const string OnSiteStage = "onsite";
    public const string AbandonedStage = "abandoned";

    private readonly SerialStateWriter<CartState> _writer = new(state);
    private HashSet<string>? _seen;

    /// <summary>A nudge decided in this turn, handed to its channel once the ledger entry is durable.</summary>
    private NudgeMessage? _pendingDispatch;

    internal CartState S => state.State;

    /// <summary>The deadline timer of this activation (owned by the scheduler).</summary>
    internal IGrainTimer? DeadlineTimer { get; set; }

    internal string Key => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = Key;
        S.ShopperId = key[..key.IndexOf('/')];
        S.CartId = key[(key.IndexOf('/') + 1)..];
        _seen = new HashSet<string>(S.Events.Select(r => r.EventId), StringComparer.Ordinal);
        _durableReportSeq = S.ReportSeq;
        return Task.CompletedTask;
    }

    public async Task Apply(EventBatch batch)
    {
        var p = policy.Current;
        var changed = false;
        foreach (var e in batch.Events)
        {
            changed |= ApplyOne(e, p);
        }

        if (!changed)
        {
            return;
        }

        await CommitAsync(p, TimeSpan.Zero);
    }

    private bool ApplyOne(StorefrontEvent e, CampaignPolicy p)
    {
        if (EventTypes.IsNudgeResponse(e.Type))
        {
            return RecordResponse(e);
        }

        if (!_seen!.Add(e.EventId))
        {
            return false;
        }

        if (S.CreatedAt == default)
        {
            S.CreatedAt = e.OccurredAt;
            S.LastActivityAt = e.OccurredAt;
            S.SessionId = e.SessionId;
            S.Group = KeyHash.Fraction(S.ShopperId, p.ControlSalt) < p.ControlFraction ? "control" : "treatment";
            metrics.Transition(CartStages.Active);
        }

        var record = CartFold.ToRecord(e);
        record.Skus = CartFold.BoundSkus(S, record.Skus);
        if (CartFold.Insert(S.Events, record))
        {
            ApplyRecord(record, p);
        }
        else
        {
            Refold(p);
        }

        Compact();
        if (e.Type != EventTypes.Purchase)
        {
            Touch(e.OccurredAt, e.SessionId);
        }

        return true;
    }

    /// <summary>
    /// Moves the deadline to what the state now implies and writes the state. From inside a tick a
    /// deadline already due is set <paramref name="minDelay"/> ahead: one that stays due would spin.
    /// </summary>
    private async Task CommitAsync(CampaignPolicy p, TimeSpan minDelay)
    {
        try
        {
            if (_pendingDispatch is { Channel: NudgeChannels.Webhook })
            {
                // Armed before the ledger entry is written: an entry durable in the outbox always has a reminder behind it.
                await ArmOutboxAsync();
            }

            var now = clock.Now;
            var next = CartStages.IsFinal(S.Stage) ? null : NextDeadline(p, now);

            // Only a deadline already due is pushed back: one still ahead (a timer that fired a
            // millisecond early finds nothing due yet) keeps its time.
            if (next is { } due && due <= now && minDelay > TimeSpan.Zero)
            {
                next = now + minDelay;
            }

            await scheduler.ScheduleAsync(this, next, now);
            var reported = await ReportAsync();
            await _writer.SaveAsync();
            AckReport(reported);
        }
        catch
        {
            // The activation may be ahead of storage now; the next call starts from storage.
            this.DeactivateOnIdle();
            throw;
        }
    }

    public async Task RecordDelivery(string nudgeId, bool delivered, int attempts)
    {
        var record = S.Nudges.FirstOrDefault(n => n.NudgeId == nudgeId);
        if (record is null || record.Outcome == "delivered")
        {
            // Unknown, or a later outcome of a delivery already made (the outbox may send twice).
            return;
        }

        record.Attempts = attempts;
        record.Outcome = delivered ? "delivered" : "failed";
        record.DeliveredAt = delivered ? clock.Now : null;
        record.Outbox = null;
        await _writer.SaveAsync();
        if (!S.Nudges.Any(n => n.Outbox is not null))
        {
            await DisarmOutboxAsync();
        }
    }

    public Task<CartState> Get() => Task.FromResult(S);

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == OutboxReminder)
        {
            return RedeliverAsync();
        }

        if (reminderName != TickReminder)
        {
            return Task.CompletedTask;
        }

        // It fired: whatever comes next needs a fresh registration.
        S.ReminderDueAt = null;
        return Advance();
    }

    public async Task Advance()
    {
        var p = policy.Current;
        await AdvanceAsync(p, clock.Now);
        await CommitAsync(p, TimeSpan.FromSeconds(1));
        if (_pendingDispatch is { } nudge)
        {
            _pendingDispatch = null;
            dispatcher.Dispatch(nudge, Key);
        }

        if (CartStages.IsFinal(S.Stage))
        {
            this.DeactivateOnIdle();
        }
    }
}
