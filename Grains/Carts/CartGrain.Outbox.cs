using CartRecovery.Grains.Abstractions.Nudges;

namespace CartRecovery.Grains.Carts;

/// <summary>
/// The webhook outbox: a webhook nudge's payload stays in its ledger entry until the sender records
/// an outcome, and a reminder re-sends what is still there, so a crash or restart between the
/// ledger write and the delivery loses nothing. The receiver deduplicates by nudge id.
/// </summary>
public sealed partial class CartGrain
{
    private bool _outboxArmed;

    private async Task ArmOutboxAsync()
    {
        if (!_outboxArmed)
        {
            await this.RegisterOrUpdateReminder(OutboxReminder, dispatcher.RedeliverAfter, dispatcher.RedeliverAfter);
            _outboxArmed = true;
        }
    }

    private async Task DisarmOutboxAsync()
    {
        if (await this.GetReminder(OutboxReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        _outboxArmed = false;
    }

    private async Task RedeliverAsync()
    {
        _outboxArmed = true;
        var waiting = S.Nudges.Where(n => n.Outbox is not null && n.Channel == NudgeChannels.Webhook).ToList();
        if (waiting.Count == 0)
        {
            await DisarmOutboxAsync();
            return;
        }

        foreach (var record in waiting)
        {
            dispatcher.Redeliver(record.Outbox!, Key);
        }
    }
}
