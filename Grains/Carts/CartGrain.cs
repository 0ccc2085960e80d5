using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Abstractions.Shoppers;
using CartRecovery.Grains.Diagnostics;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Nudges;
using CartRecovery.Grains.Policy;
using CartRecovery.Grains.Scoring;
using CartRecovery.Runtime;

namespace CartRecovery.Grains.Carts;

/// <summary>
/// A cart and its stage machine. Inactivity is detected by one durable reminder ("tick") that is
/// always set to the cart's next deadline, so it survives restarts and failover. The nudge ledger
/// lives in the cart's state: one nudge per stage, with an id derived from the cart and stage.
/// </summary>
public sealed class CartGrain(
    [PersistentState("cart")] IPersistentState<CartState> state,
    PolicyCache policy,
    ScorerProvider scorer,
    NudgeDispatcher dispatcher,
    DomainMetrics metrics) : Grain, ICartGrain, IRemindable
{
    public const string TickReminder = "tick";
    public const string OnSiteStage = "onsite";
    public const string AbandonedStage = "abandoned";
    private const string QuietHours = "quiet hours";

    private HashSet<string>? _seen;

    private CartState S => state.State;

    private string ShopperId => Key[..Key.IndexOf('/')];

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        S.ShopperId = ShopperId;
        S.CartId = Key[(Key.IndexOf('/') + 1)..];
        _seen = new HashSet<string>(S.Events.Select(r => r.EventId), StringComparer.Ordinal);
        return Task.CompletedTask;
    }

    public Task Apply(StorefrontEvent e, long offset)
    {
        if (offset >= 0 && offset <= S.LastOffset)
        {
            return Task.CompletedTask;
        }

        S.LastOffset = Math.Max(S.LastOffset, offset);
        if (EventTypes.IsNudgeResponse(e.Type))
        {
            RecordResponse(e);
            state.MarkDirty();
            return Task.CompletedTask;
        }

        if (!_seen!.Add(e.EventId))
        {
            return Task.CompletedTask;
        }

        var p = policy.Current;
        if (S.CreatedAt == default)
        {
            S.CreatedAt = e.OccurredAt;
            S.LastActivityAt = e.OccurredAt;
            S.SessionId = e.SessionId;
            S.Group = StableHash.Fraction(S.ShopperId, p.ControlSalt) < p.ControlFraction ? "control" : "treatment";
            metrics.Transition(CartStages.Active);
        }

        var record = CartFold.ToRecord(e);
        var inOrder = CartFold.Insert(S.Events, record);
        if (inOrder)
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

        EnsureTick(p);
        state.MarkDirty();
        return Task.CompletedTask;
    }

    private void Touch(DateTimeOffset at, string sessionId)
    {
        if (at >= S.LastActivityAt)
        {
            S.LastActivityAt = at;
            S.SessionId = sessionId;
        }

        // The shopper came back before a nudge: the cart is live again.
        if (S.Stage is CartStages.Idle or CartStages.Abandoned && at >= (S.IdleAt ?? S.AbandonedAt ?? at))
        {
            S.Stage = CartStages.Active;
        }
    }

    private void ApplyRecord(CartEventRecord r, CampaignPolicy p)
    {
        if (r.Type == EventTypes.Purchase)
        {
            ApplyPurchase(r, p);
        }
        else
        {
            CartFold.ApplyLines(S, r);
        }
    }

    /// <summary>
    /// A purchase containing the cart converts it: recovered when it follows a nudge within the
    /// attribution window, purchased otherwise. A purchase of none of the cart's items is not this cart's.
    /// </summary>
    private void ApplyPurchase(CartEventRecord r, CampaignPolicy p)
    {
        if (S.Stage is CartStages.Recovered or CartStages.Purchased or CartStages.Expired)
        {
            return;
        }

        var skus = r.Skus ?? [];
        if (skus.Count > 0 && S.Lines.Count > 0 && !skus.Any(s => S.Lines.Any(l => l.Sku == s)))
        {
            return;
        }

        S.PurchasedAt = r.At;
        S.OrderId = r.OrderId;
        S.Revenue = r.Total;
        var window = TimeSpan.FromHours(p.AttributionWindowHours);
        if (S.NudgedAt is { } nudged && r.At >= nudged && r.At - nudged <= window)
        {
            S.Stage = CartStages.Recovered;
        }
        else
        {
            S.Stage = CartStages.Purchased;
        }

        metrics.Transition(S.Stage);
    }

    private void Refold(CampaignPolicy p)
    {
        S.Lines.Clear();
        S.Value = 0;
        S.Removals = 0;
        S.CheckoutStep = 0;
        S.LastAddAt = null;
        if (S.Stage is CartStages.Recovered or CartStages.Purchased)
        {
            S.Stage = S.NudgedAt is not null ? CartStages.Nudged : CartStages.Active;
            S.PurchasedAt = null;
            S.OrderId = null;
            S.Revenue = 0;
        }

        foreach (var r in S.Events)
        {
            ApplyRecord(r, p);
        }
    }

    private void Compact()
    {
        // Records older than the window are no longer needed for ordering; their effect stays in the lines.
        if (S.Events.Count > CartFold.MaxRecords)
        {
            var drop = S.Events.Count - CartFold.MaxRecords;
            foreach (var r in S.Events.Take(drop))
            {
                _seen!.Remove(r.EventId);
            }

            S.Events.RemoveRange(0, drop);
        }
    }

    private void RecordResponse(StorefrontEvent e)
    {
        var record = S.Nudges.FirstOrDefault(n => n.NudgeId == e.Nudge!.NudgeId);
        if (record is null)
        {
            return;
        }

        switch (e.Type)
        {
            case EventTypes.NudgeShown when record.ShownAt is null:
                record.ShownAt = e.OccurredAt;
                record.DeliveredAt ??= e.OccurredAt;
                record.Outcome = "delivered";
                metrics.Nudge(record.Channel, "shown");
                break;
            case EventTypes.NudgeClicked when record.ClickedAt is null:
                record.ClickedAt = e.OccurredAt;
                metrics.Nudge(record.Channel, "clicked");
                break;
            case EventTypes.NudgeDismissed when record.DismissedAt is null:
                record.DismissedAt = e.OccurredAt;
                metrics.Nudge(record.Channel, "dismissed");
                break;
        }
    }

    public Task RecordDelivery(string nudgeId, bool delivered, int attempts)
    {
        var record = S.Nudges.FirstOrDefault(n => n.NudgeId == nudgeId);
        if (record is not null)
        {
            record.Attempts = attempts;
            record.Outcome = delivered ? "delivered" : "failed";
            record.DeliveredAt = delivered ? Time.GetUtcNow() : null;
            state.MarkDirty();
        }

        return Task.CompletedTask;
    }

    public Task<CartState> Get() => Task.FromResult(Snapshots.Copy(S));

    /// <summary>The next moment the cart needs attention, or null when it needs none.</summary>
    private DateTimeOffset? NextDeadline(CampaignPolicy p, DateTimeOffset now)
    {
        if (CartStages.IsFinal(S.Stage) || S.CreatedAt == default)
        {
            return null;
        }

        if (S.Stage == CartStages.Nudged)
        {
            return S.NudgedAt!.Value + TimeSpan.FromHours(p.AttributionWindowHours);
        }

        var last = S.LastActivityAt;
        var candidates = new List<DateTimeOffset>();
        if (S.Lines.Count > 0)
        {
            if (S.Stage == CartStages.Active)
            {
                candidates.Add(last + TimeSpan.FromSeconds(p.OnsiteDelaySeconds));
            }

            if (S.Stage is CartStages.Active or CartStages.Idle)
            {
                candidates.Add(last + TimeSpan.FromSeconds(p.AbandonAfterSeconds));
            }

            if (S.Stage == CartStages.Abandoned && !S.Nudges.Any(n => n.Stage == AbandonedStage))
            {
                if (S.LastDecision is null)
                {
                    candidates.Add(last + TimeSpan.FromSeconds(p.AbandonAfterSeconds + p.OffsiteDelaySeconds));
                }
                else if (S.LastDecision.EndsWith(QuietHours, StringComparison.Ordinal))
                {
                    // Held back, not refused: try again when quiet hours end.
                    S.LastDecision = null;
                    candidates.Add(PolicyValidator.QuietHoursEnd(p, now));
                }
            }
        }

        candidates.Add(last + TimeSpan.FromHours(p.ExpireAfterHours));
        // A deadline already passed is due now (events may arrive after their deadline).
        var next = candidates.Min();
        return next < now ? now : next;
    }

    /// <summary>Makes sure the tick reminder exists; it is only moved when it fires (activity just pushes the deadline).</summary>
    private void EnsureTick(CampaignPolicy p)
    {
        if (ReminderDueAt(TickReminder) is null && NextDeadline(p, Time.GetUtcNow()) is { } due)
        {
            RegisterOrUpdateReminder(TickReminder, Clamp(due - Time.GetUtcNow()));
        }
    }

    private static TimeSpan Clamp(TimeSpan t) => t < TimeSpan.Zero ? TimeSpan.Zero : t;

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != TickReminder)
        {
            return;
        }

        var p = policy.Current;
        var now = Time.GetUtcNow();
        await AdvanceAsync(p, now);
        state.MarkDirty();
        if (NextDeadline(p, now) is { } next && !CartStages.IsFinal(S.Stage))
        {
            // Never re-arm for "now" from inside a tick: a deadline that stays due would spin.
            RegisterOrUpdateReminder(TickReminder, next - now < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : next - now);
        }
        else
        {
            UnregisterReminder(TickReminder);
            DeactivateOnIdle();
        }
    }

    private async Task AdvanceAsync(CampaignPolicy p, DateTimeOffset now)
    {
        var idleFor = now - S.LastActivityAt;
        if (S.Stage == CartStages.Nudged)
        {
            if (now - S.NudgedAt!.Value >= TimeSpan.FromHours(p.AttributionWindowHours))
            {
                Expire(now);
            }

            return;
        }

        if (idleFor >= TimeSpan.FromHours(p.ExpireAfterHours))
        {
            Expire(now);
            return;
        }

        if (S.Lines.Count == 0)
        {
            return;
        }

        if (S.Stage == CartStages.Active && idleFor >= TimeSpan.FromSeconds(p.OnsiteDelaySeconds))
        {
            S.Stage = CartStages.Idle;
            S.IdleAt = now;
            metrics.Transition(CartStages.Idle);
            await TryNudgeAsync(OnSiteStage, p, now);
        }

        if (S.Stage is CartStages.Active or CartStages.Idle && idleFor >= TimeSpan.FromSeconds(p.AbandonAfterSeconds))
        {
            S.Stage = CartStages.Abandoned;
            S.AbandonedAt = now;
            S.LastDecision = null;
            metrics.Transition(CartStages.Abandoned);
        }

        if (S.Stage == CartStages.Abandoned && idleFor >= TimeSpan.FromSeconds(p.AbandonAfterSeconds + p.OffsiteDelaySeconds))
        {
            await TryNudgeAsync(AbandonedStage, p, now);
        }
    }

    private void Expire(DateTimeOffset now)
    {
        S.Stage = CartStages.Expired;
        S.ExpiredAt = now;
        metrics.Transition(CartStages.Expired);
    }

    private async Task TryNudgeAsync(string stage, CampaignPolicy p, DateTimeOffset now)
    {
        var nudgeId = $"{Key}:{stage}";
        if (S.Nudges.Any(n => n.NudgeId == nudgeId))
        {
            return;
        }

        var session = S.SessionId is { } sid ? await GrainFactory.GetGrain<ISessionGrain>($"{S.ShopperId}/{sid}").Get() : null;
        var features = FeatureSet.Extract(S, session, now);
        var model = scorer.Current;
        S.Risk = Math.Round(model.Score(features), 6);
        S.ModelVersion = model.Version;
        S.ScoredAt = now;
        S.ScoredFeatures = features;

        var suppressed = !p.Enabled ? "campaign disabled"
            : S.Group == "control" ? "control group: never nudged"
            : S.Value < p.MinCartValue ? $"cart value {S.Value:0.##} below minimum {p.MinCartValue:0.##}"
            : S.Risk < p.RiskThreshold ? $"risk {S.Risk:0.###} below threshold {p.RiskThreshold:0.###}"
            : null;
        if (suppressed is not null)
        {
            S.LastDecision = $"{stage}: {suppressed}";
            return;
        }

        var tier = p.Incentives.Where(t => t.MinCartValue <= S.Value).OrderByDescending(t => t.MinCartValue).FirstOrDefault()
            ?? new IncentiveTier { Variant = "reminder", Message = "You left items in your cart." };
        var message = new NudgeMessage
        {
            NudgeId = nudgeId,
            ShopperId = S.ShopperId,
            CartId = S.CartId,
            Variant = tier.Variant,
            Title = "Still thinking it over?",
            Message = tier.Message,
            IncentiveCode = tier.Code,
            CartValue = S.Value,
            Currency = S.Currency,
            Lines = S.Lines.Select(l => new CartLine { Sku = l.Sku, Name = l.Name, Price = l.Price, Quantity = l.Quantity }).ToList(),
            CreatedAt = now,
        };
        var offsiteNow = !PolicyValidator.InQuietHours(p, now);
        var permit = await GrainFactory.GetGrain<IShopperGrain>(S.ShopperId).RequestNudge(new NudgeRequest
        {
            Nudge = message,
            Stage = stage,
            FrequencyCapPerDay = p.FrequencyCapPerDay,
            RequireConsentOffsite = p.RequireConsentOffsite,
            OffsiteAllowedNow = offsiteNow,
            OffsiteAvailable = dispatcher.OffsiteAvailable,
        });
        if (!permit.Allowed)
        {
            S.LastDecision = $"{stage}: {permit.Reason}";
            return;
        }

        message.Channel = permit.Channel!;
        message.Email = message.Channel == NudgeChannels.Webhook ? permit.Email : null;
        S.Nudges.Add(new NudgeRecord
        {
            NudgeId = nudgeId,
            CartId = S.CartId,
            ShopperId = S.ShopperId,
            Stage = stage,
            Reason = stage == OnSiteStage ? "cart idle while the shopper is on the site" : "cart abandoned",
            Score = S.Risk.Value,
            Variant = tier.Variant,
            Channel = message.Channel,
            Message = tier.Message,
            CartValue = S.Value,
            Currency = S.Currency,
            CreatedAt = now,
        });
        S.Stage = CartStages.Nudged;
        S.NudgedAt = now;
        S.LastDecision = $"{stage}: nudged via {message.Channel}";
        metrics.Transition(CartStages.Nudged);
        dispatcher.Dispatch(message, Key);
    }
}
