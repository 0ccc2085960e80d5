using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Nudges;

namespace CartRecovery.Grains.Tests;

/// <summary>Webhook nudges wait in the cart's ledger (the outbox) until delivered, survive a restart, and go out a few at a time.</summary>
public sealed class WebhookOutboxTests
{
    private static StorefrontEvent Consent(string shopper, DateTimeOffset at) => new()
    {
        EventId = Guid.NewGuid().ToString("N"),
        Type = EventTypes.Consent,
        ShopperId = shopper,
        SessionId = shopper + "-s1",
        OccurredAt = at,
        Consent = new ConsentInfo { Marketing = true },
    };

    [Fact]
    public async Task A_webhook_nudge_in_flight_when_the_silo_stops_is_delivered_after_the_restart()
    {
        using var database = LiveSilo.NewDatabase();
        var at = DateTimeOffset.UtcNow;
        await using (var first = await LiveSilo.StartAsync(database, new()
        {
            // Nothing listens there: the sender keeps retrying (backing off) until the silo stops.
            ["Webhook:Url"] = "http://127.0.0.1:9/hook/",
            ["Webhook:Secret"] = "s3cret-for-tests",
            ["Webhook:MaxAttempts"] = "20",
            ["Webhook:RetryDelay"] = "00:00:01",
            ["Webhook:RedeliverAfter"] = "00:00:02",
        }))
        {
            await first.IngestAsync(Consent("crash", at), LiveSilo.Add("crash", at));
            var pending = await first.WaitForCartAsync("crash", c => c.Nudges.Count > 0, TimeSpan.FromSeconds(15));
            var entry = Assert.Single(pending.Nudges);
            Assert.Equal(NudgeChannels.Webhook, entry.Channel);
            Assert.Equal("pending", entry.Outcome);
        }

        using var receiver = new WebhookReceiver();
        await using var second = await LiveSilo.StartAsync(database, new()
        {
            ["Webhook:Url"] = receiver.Url,
            ["Webhook:Secret"] = "s3cret-for-tests",
            ["Webhook:RedeliverAfter"] = "00:00:02",
        });

        // Nothing touches the cart: its outbox reminder brings it back and it sends again.
        await receiver.Delivered.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("crash/c-crash-s1:abandoned", receiver.DeliveredIds.First());
        var cart = await second.WaitForCartAsync("crash", c => c.Nudges[0].Outcome == "delivered", TimeSpan.FromSeconds(5));
        Assert.Equal("delivered", cart.Nudges[0].Outcome);
        Assert.Null(cart.Nudges[0].Outbox);
    }

    [Fact]
    public async Task Webhook_deliveries_are_bounded_in_concurrency_and_none_is_dropped()
    {
        using var receiver = new WebhookReceiver(hold: TimeSpan.FromMilliseconds(300));
        await using var host = await DomainHost.StartAsync(new()
        {
            ["Webhook:Url"] = receiver.Url,
            ["Webhook:Secret"] = "s3cret-for-tests",
            ["Webhook:MaxConcurrency"] = "2",
        });
        var shoppers = Enumerable.Range(0, 8).Select(i => "w" + i).ToArray();
        foreach (var s in shoppers)
        {
            await host.IngestAsync(host.Event(EventTypes.Consent, s, 0, e => e.Consent = new ConsentInfo { Marketing = true }), host.Add(s, 0, "A", 40));
        }

        await host.AdvanceAsync(601);
        var until = DateTime.UtcNow.AddSeconds(20);
        while (receiver.DeliveredIds.Count < shoppers.Length && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }

        Assert.Equal(shoppers.Select(s => $"{s}/c-{s}-s1:abandoned").Order(), receiver.DeliveredIds.Order());
        Assert.InRange(receiver.MaxOpen, 1, 2);
    }
}
