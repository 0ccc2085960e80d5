using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Abstractions.Sessions;
using CartRecovery.Grains.Abstractions.Shoppers;
using CartRecovery.Grains.Policy;
using CartRecovery.Grains.Scoring;

namespace CartRecovery.Grains.Carts;

/// <summary>The stage machine: deadlines, scoring, the policy and the nudge ledger.</summary>
public sealed partial class CartGrain
{
    private const string QuietHours = "quiet hours";

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
        var candidates = new List<DateTimeOffset>(4);
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

    private async Task AdvanceAsync(CampaignPolicy p, DateTimeOffset now)
    {
        if (CartStages.IsFinal(S.Stage) || S.CreatedAt == default)
        {
            return;
        }

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

    /// <summary>
    /// The cart's session features from its shopper; a session that began before the shopper kept
    /// them is read from where the previous release stored it.
    /// </summary>
    private async Task<SessionState?> SessionFeaturesAsync(string sessionId)
    {
        SessionState? current;
        try
        {
            current = await grains.Get<IShopperGrain>(S.ShopperId).GetSession(sessionId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A shopper still active on a silo of the previous release (a rolling upgrade) has no
            // GetSession; that release kept the features where the fallback below reads them.
            current = null;
        }

        if (current is not null)
        {
            return current;
        }

        var legacy = await grains.Get<ISessionGrain>($"{S.ShopperId}/{sessionId}").Get();
        return legacy.Events > 0 ? legacy : null;
    }

    private async Task TryNudgeAsync(string stage, CampaignPolicy p, DateTimeOffset now)
    {
        var nudgeId = $"{Key}:{stage}";
        if (S.Nudges.Any(n => n.NudgeId == nudgeId))
        {
            return;
        }

        var session = S.SessionId is { } sid ? await SessionFeaturesAsync(sid) : null;
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
            PercentOff = tier.PercentOff > 0 ? tier.PercentOff : null,
            CartValue = S.Value,
            Currency = S.Currency,
            Lines = S.Lines.Select(l => new CartLine { Sku = l.Sku, Name = l.Name, Price = l.Price, Quantity = l.Quantity }).ToList(),
            CreatedAt = now,
        };
        var permit = await grains.Get<IShopperGrain>(S.ShopperId).RequestNudge(new NudgeRequest
        {
            Nudge = message,
            Stage = stage,
            FrequencyCapPerDay = p.FrequencyCapPerDay,
            RequireConsentOffsite = p.RequireConsentOffsite,
            OffsiteAllowedNow = !PolicyValidator.InQuietHours(p, now),
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
            IncentiveCode = tier.Code,
            PercentOff = message.PercentOff,
            CartValue = S.Value,
            Currency = S.Currency,
            CreatedAt = now,
            Outbox = message.Channel == NudgeChannels.Webhook ? message : null,
        });
        S.Stage = CartStages.Nudged;
        S.NudgedAt = now;
        S.LastDecision = $"{stage}: nudged via {message.Channel}";
        metrics.Transition(CartStages.Nudged);
        _pendingDispatch = message;
    }
}
