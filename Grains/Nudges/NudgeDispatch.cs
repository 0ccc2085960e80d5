using CartRecovery.Grains.Abstractions.Nudges;

namespace CartRecovery.Grains.Nudges;

/// <summary>
/// Delivers on-site nudges to browsers. The gateway's SignalR hub implements it when co-hosted; in
/// a cluster it publishes to the nudges topic that every gateway reads. Idempotent by nudge id.
/// </summary>
public interface IOnSiteNudgePublisher
{
    Task PublishAsync(NudgeMessage nudge, CancellationToken cancellationToken);
}

/// <summary>Used when no gateway is attached (tools, tests): on-site nudges stay pending in the shopper grain.</summary>
public sealed class NullOnSitePublisher : IOnSiteNudgePublisher
{
    public Task PublishAsync(NudgeMessage nudge, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Hands a decided nudge to its channel once its ledger entry is durable. Never blocks the grain
/// turn on delivery: on-site nudges also wait in the shopper grain, webhook nudges in the cart's outbox.
/// </summary>
public sealed class NudgeDispatcher(IOnSiteNudgePublisher onSite, WebhookSender webhooks, Diagnostics.DomainMetrics metrics)
{
    /// <summary>Whether an off-site channel is configured at all.</summary>
    public bool OffsiteAvailable => webhooks.Enabled;

    /// <summary>The period of a cart's outbox reminder.</summary>
    public TimeSpan RedeliverAfter => webhooks.RedeliverAfter;

    /// <summary>Hands a webhook nudge still in a cart's outbox to the sender again (a no-op while it is in flight).</summary>
    public void Redeliver(NudgeMessage nudge, string cartKey) => webhooks.Enqueue(nudge, cartKey);

    public void Dispatch(NudgeMessage nudge, string cartKey)
    {
        metrics.Nudge(nudge.Channel, "created");
        if (nudge.Channel == NudgeChannels.OnSite)
        {
            _ = PublishAsync(nudge);
        }
        else
        {
            webhooks.Enqueue(nudge, cartKey);
        }
    }

    private async Task PublishAsync(NudgeMessage nudge)
    {
        try
        {
            await onSite.PublishAsync(nudge, CancellationToken.None);
        }
        catch (Exception)
        {
            // The nudge stays pending in the shopper grain and is delivered on the next connect.
            metrics.Nudge(nudge.Channel, "publish_failed");
        }
    }
}
