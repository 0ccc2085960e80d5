using System.Text.Json;
using System.Text.Json.Nodes;
using CartRecovery.Gateway.Hosting;
using CartRecovery.Gateway.Tests.Support;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Nudges;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CartRecovery.Gateway.Tests;

/// <summary>The shopper hub over a real WebSocket: isolation between shoppers, pending nudges, abuse limits.</summary>
public sealed class ShopperHubTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    private static string NewShopper(string name) => $"{name}-{Guid.NewGuid():N}";

    /// <summary>The nudge a server call carries (the client takes calls of exactly one argument).</summary>
    private static JsonElement NudgeOf(HubMessage message)
    {
        Assert.Equal("nudge", message.Target);
        return message.Argument;
    }

    private Task PublishAsync(string shopperId, string nudgeId) =>
        app.Service<IOnSiteNudgePublisher>().PublishAsync(
            new NudgeMessage
            {
                NudgeId = nudgeId,
                ShopperId = shopperId,
                CartId = "c-direct",
                Channel = NudgeChannels.OnSite,
                Variant = "reminder",
                Title = "Still thinking it over?",
                Message = "You left items in your cart.",
                CreatedAt = DateTimeOffset.UtcNow,
            },
            CancellationToken.None);

    /// <summary>
    /// Round-trips a hub call. The server runs OnConnectedAsync (group join, pending nudges) before
    /// it handles any invocation and writes in order, so after this returns everything sent to the
    /// connection up to now is in its channel.
    /// </summary>
    private static async Task SyncAsync(HubConnection hub) => await hub.InvokeAsync<JsonElement>("TrackBatch", new JsonArray());

    /// <summary>Asserts the connection got nothing but the marker nudge sent to it after everything else.</summary>
    private async Task AssertOnlyMarkerArrivesAsync(HubConnection hub, string shopperId)
    {
        var marker = "marker-" + Guid.NewGuid().ToString("N");
        await PublishAsync(shopperId, marker);
        var first = NudgeOf(await hub.NextMessageAsync());
        Assert.Equal(marker, first.GetProperty("nudge_id").GetString());
        Assert.Equal(shopperId, first.GetProperty("shopper_id").GetString());
    }

    [Fact]
    public async Task Real_nudge_reaches_only_the_shopper_whose_cart_went_idle()
    {
        var a = NewShopper("iso-a");
        var b = NewShopper("iso-b");
        await using var hubA = await app.ConnectShopperAsync(a);
        await using var hubB = await app.ConnectShopperAsync(b);

        // B puts something in a cart over the hub; one idle second later the silo nudges B.
        var result = await hubB.InvokeAsync<JsonElement>("Track", Events.AddToCart(b, "cart-b", price: 40));
        Assert.Equal(1, result.GetProperty("accepted").GetInt32());
        var nudge = NudgeOf(await hubB.NextMessageAsync());
        Assert.Equal(b, nudge.GetProperty("shopper_id").GetString());
        Assert.Equal("cart-b", nudge.GetProperty("cart_id").GetString());
        Assert.Equal($"{b}/cart-b:onsite", nudge.GetProperty("nudge_id").GetString());

        await SyncAsync(hubA);
        Assert.Empty(hubA.ReceivedMessages());
        await AssertOnlyMarkerArrivesAsync(hubA, a);
    }

    [Fact]
    public async Task Published_nudge_reaches_every_connection_of_its_shopper_and_no_other()
    {
        var a = NewShopper("pub-a");
        var b = NewShopper("pub-b");
        var bUpper = b.ToUpperInvariant(); // a different shopper id that differs only in case
        await using var hubA = await app.ConnectShopperAsync(a);
        await using var hubB1 = await app.ConnectShopperAsync(b);
        await using var hubB2 = await app.ConnectShopperAsync(b);
        await using var hubUpper = await app.ConnectShopperAsync(bUpper);
        foreach (var hub in new[] { hubA, hubB1, hubB2, hubUpper })
        {
            await SyncAsync(hub); // connected and in its group
        }

        var nudgeId = "n-" + Guid.NewGuid().ToString("N");
        await PublishAsync(b, nudgeId);
        Assert.Equal(nudgeId, NudgeOf(await hubB1.NextMessageAsync()).GetProperty("nudge_id").GetString());
        Assert.Equal(nudgeId, NudgeOf(await hubB2.NextMessageAsync()).GetProperty("nudge_id").GetString());

        await AssertOnlyMarkerArrivesAsync(hubA, a);
        await AssertOnlyMarkerArrivesAsync(hubUpper, bUpper);
    }

    [Fact]
    public async Task Events_for_another_shopper_sent_over_the_hub_are_rejected_and_change_nothing()
    {
        var a = NewShopper("evt-a");
        var b = NewShopper("evt-b");
        Assert.Equal(200, (int)(await app.PostEventsAsync(Events.AddToCart(b, "cart-b", sku: "B-1", quantity: 1))).Status);
        var before = (await app.GetCartAsync(b, "cart-b"))!.Value;
        Assert.Equal(1, Events.Quantity(before));

        await using var hubA = await app.ConnectShopperAsync(a);
        var single = await hubA.InvokeAsync<JsonElement>("Track", Events.AddToCart(b, "cart-b", sku: "A-INJECTED", quantity: 5));
        Assert.Equal(0, single.GetProperty("accepted").GetInt32());
        var error = Assert.Single(single.GetProperty("rejected").EnumerateArray());
        Assert.Equal(0, error.GetProperty("index").GetInt32());
        Assert.Equal("shopper_id", error.GetProperty("field").GetString());

        // In a batch the foreign events are refused by index; A's own event still goes through.
        var batch = await hubA.InvokeAsync<JsonElement>("TrackBatch", Events.Batch(
            Events.AddToCart(a, "cart-a", sku: "A-1"),
            Events.AddToCart(b, "cart-b", sku: "A-INJECTED", quantity: 3),
            Events.With(Events.Make("purchase", b, "cart-b"), "order", new JsonObject { ["order_id"] = "o-1", ["total"] = 25, ["currency"] = "EUR", ["skus"] = new JsonArray("B-1") })));
        Assert.Equal(3, batch.GetProperty("received").GetInt32());
        Assert.Equal(1, batch.GetProperty("accepted").GetInt32());
        var rejected = batch.GetProperty("rejected").EnumerateArray().ToList();
        Assert.Equal([1, 2], rejected.Select(r => r.GetProperty("index").GetInt32()));
        Assert.All(rejected, r => Assert.Equal("shopper_id", r.GetProperty("field").GetString()));

        var after = (await app.GetCartAsync(b, "cart-b"))!.Value;
        Assert.Equal(1, Events.Quantity(after));
        Assert.Equal(["B-1"], after.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("sku").GetString()));
        Assert.Equal(before.GetProperty("stage").GetString(), after.GetProperty("stage").GetString());
        Assert.Equal(before.GetProperty("events").GetArrayLength(), after.GetProperty("events").GetArrayLength());
        Assert.Equal(1, Events.Quantity((await app.GetCartAsync(a, "cart-a"))!.Value));
    }

    [Fact]
    public async Task Hub_batch_with_a_malformed_event_refuses_only_that_event_by_index_and_field()
    {
        // Same answer shape as POST /v1/events (docs/api.md): each event stands alone.
        var shopper = NewShopper("shape");
        await using var hub = await app.ConnectShopperAsync(shopper);
        var badWhen = Events.AddToCart(shopper, "cart-h", sku: "BAD-WHEN");
        badWhen["occurred_at"] = "yesterday";
        var noSku = Events.AddToCart(shopper, "cart-h", sku: "");

        var result = await hub.InvokeAsync<JsonElement>("TrackBatch", Events.Batch(Events.AddToCart(shopper, "cart-h", sku: "OK"), noSku, badWhen));
        Assert.Equal(3, result.GetProperty("received").GetInt32());
        Assert.Equal(1, result.GetProperty("accepted").GetInt32());
        Assert.Equal(
            [(1, "item.sku"), (2, "occurred_at")],
            result.GetProperty("rejected").EnumerateArray().Select(r => (r.GetProperty("index").GetInt32(), r.GetProperty("field").GetString())));
        Assert.Equal(["OK"], (await app.GetCartAsync(shopper, "cart-h"))!.Value.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("sku").GetString()));
    }

    [Fact]
    public async Task Pending_nudge_is_delivered_again_on_reconnect_until_it_is_shown()
    {
        var shopper = NewShopper("pending");
        const string cart = "cart-p";
        var nudgeId = $"{shopper}/{cart}:onsite";

        var first = await app.ConnectShopperAsync(shopper);
        var tracked = await first.InvokeAsync<JsonElement>("Track", Events.AddToCart(shopper, cart, price: 60));
        Assert.Equal(1, tracked.GetProperty("accepted").GetInt32());

        // The nudge is produced while the shopper is connected; disconnect without reading it.
        await GatewayApp.EventuallyAsync(
            () => app.GetCartAsync(shopper, cart),
            c => c?.GetProperty("stage").GetString() == "nudged",
            "cart nudged");
        await first.DisposeAsync();

        await using (var second = await app.ConnectShopperAsync(shopper))
        {
            var again = NudgeOf(await second.NextMessageAsync());
            Assert.Equal(nudgeId, again.GetProperty("nudge_id").GetString());
            Assert.Equal(cart, again.GetProperty("cart_id").GetString());
            Assert.Equal("free_shipping", again.GetProperty("variant").GetString());
            Assert.Single(again.GetProperty("lines").EnumerateArray());

            // The storefront reports it shown: no longer pending.
            var shown = await second.InvokeAsync<JsonElement>("Track", Events.NudgeShown(shopper, nudgeId));
            Assert.Equal(1, shown.GetProperty("accepted").GetInt32());
        }

        await using var third = await app.ConnectShopperAsync(shopper);
        await SyncAsync(third);
        Assert.Empty(third.ReceivedMessages());
    }

    [Fact]
    public async Task On_site_nudge_pushed_over_the_hub_does_not_carry_the_shoppers_email()
    {
        // Shopper tokens are handed to anyone who names a shopper id (POST /v1/shopper-token), so
        // what the hub pushes must not include personal data the popup does not need.
        var shopper = NewShopper("pii");
        var identify = Events.With(Events.Make("identify", shopper), "customer", new JsonObject { ["id"] = "cust-1", ["email"] = "jane@example.com" });
        Assert.Equal(200, (int)(await app.PostEventsAsync(identify)).Status);
        await using var hub = await app.ConnectShopperAsync(shopper);
        await hub.InvokeAsync<JsonElement>("Track", Events.AddToCart(shopper, "cart-pii", price: 20));

        var invocation = await hub.NextMessageAsync();
        var nudge = NudgeOf(invocation);
        Assert.Equal("onsite", nudge.GetProperty("channel").GetString());
        Assert.DoesNotContain("jane@example.com", invocation.Argument.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connected_shopper_whose_grain_was_idle_collected_still_gets_an_on_site_nudge()
    {
        var shopper = NewShopper("collected");
        const string cart = "cart-c";
        await using var hub = await app.ConnectShopperAsync(shopper);
        await SyncAsync(hub);

        // The browser stays connected but sends nothing for longer than Runtime:CollectionAge
        // (15 min by default): Orleans collects idle activations then. Ask for a collection now.
        await app.Service<IGrainFactory>().GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        // The store backend reports an add to cart; the cart goes idle a second later.
        Assert.Equal(200, (int)(await app.PostEventsAsync(Events.AddToCart(shopper, cart, price: 35))).Status);
        var decided = await GatewayApp.EventuallyAsync(
            () => app.GetCartAsync(shopper, cart),
            c => c?.GetProperty("last_decision").ValueKind == JsonValueKind.String,
            "nudge decision");
        var decision = decided!.Value.GetProperty("last_decision").GetString();
        Assert.True(decided.Value.GetProperty("stage").GetString() == "nudged", $"cart not nudged; last_decision: {decision}");
        Assert.Equal($"{shopper}/{cart}:onsite", NudgeOf(await hub.NextMessageAsync()).GetProperty("nudge_id").GetString());
    }

    [Fact]
    public async Task Oversize_message_cuts_that_connection_only()
    {
        var limit = app.Service<IOptions<LimitsOptions>>().Value.MaxHubMessageBytes;
        var bystander = NewShopper("big-ok");
        var offender = NewShopper("big-bad");
        await using var calm = await app.ConnectShopperAsync(bystander);
        await using var loud = await app.ConnectShopperAsync(offender);

        // Just under the limit is a message like any other (the event itself is refused: url too long).
        var nearLimit = await loud.InvokeAsync<JsonElement>("Track", Events.PageView(offender, "https://shop.example/" + new string('x', limit - 1024)));
        Assert.Equal("page.url", Assert.Single(nearLimit.GetProperty("rejected").EnumerateArray()).GetProperty("field").GetString());

        var call = loud.InvokeAsync<JsonElement>("Track", Events.PageView(offender, "https://shop.example/" + new string('x', limit + 1024)));
        var closed = await loud.WaitClosedAsync();
        var ended = await Assert.ThrowsAnyAsync<Exception>(() => call);
        Assert.True(HubClients.EndedByClose(ended), $"the oversize call was answered, not cut: {ended}");
        Assert.True(loud.State != HubConnectionState.Connected, $"connection still open after an oversize message: {closed}");

        var ok = await calm.InvokeAsync<JsonElement>("Track", Events.PageView(bystander));
        Assert.Equal(1, ok.GetProperty("accepted").GetInt32());
        await AssertOnlyMarkerArrivesAsync(calm, bystander);
    }

    [Fact]
    public async Task Flooding_gets_rate_limit_errors_then_a_disconnect_without_hurting_another_client()
    {
        var limits = app.Service<IOptions<LimitsOptions>>().Value;
        var burst = limits.EventsPerShopperPerSecond * 10;
        var bystander = NewShopper("flood-ok");
        var flooder = NewShopper("flood-bad");
        await using var calm = await app.ConnectShopperAsync(bystander);
        await using var flood = await app.ConnectShopperAsync(flooder);

        // Batches (each well under the message size limit) pipelined: far faster than the sustained
        // rate, so the burst runs out and every further call is refused until the connection is cut.
        var calls = new List<Task<JsonElement>>();
        const int perBatch = 80;
        var maxCalls = (burst / perBatch) + (limits.HubViolationsBeforeDisconnect * 3);
        for (var i = 0; i < maxCalls && !flood.HasClosed(); i++)
        {
            var batch = new JsonArray();
            for (var j = 0; j < perBatch; j++)
            {
                batch.Add(Events.PageView(flooder));
            }

            calls.Add(flood.InvokeAsync<JsonElement>("TrackBatch", batch)); // not awaited: pipelined
        }

        var closed = await flood.WaitClosedAsync();
        var outcomes = new List<string>();
        var accepted = 0;
        foreach (var call in calls)
        {
            try
            {
                accepted += (await call).GetProperty("accepted").GetInt32();
                outcomes.Add("ok");
            }
            catch (Exception e) when (HubClients.EndedByClose(e))
            {
                outcomes.Add("closed");
            }
            catch (HubException e)
            {
                outcomes.Add(e.Message);
            }
        }

        var rateLimited = outcomes.Count(o => o.Contains("rate limit", StringComparison.Ordinal));
        Assert.True(rateLimited >= 1, "no rate-limit error: " + string.Join(" | ", outcomes.Distinct()));
        Assert.True(rateLimited <= limits.HubViolationsBeforeDisconnect, $"{rateLimited} rate-limit errors before the disconnect (limit {limits.HubViolationsBeforeDisconnect})");
        Assert.True(accepted <= burst + (limits.EventsPerShopperPerSecond * 5), $"{accepted} events accepted; the burst is {burst}");
        Assert.True(flood.State != HubConnectionState.Connected, $"flooder still connected: {closed}");

        // The same budget covers the shopper's browser over HTTP.
        var over = new JsonArray();
        for (var i = 0; i < burst; i++)
        {
            over.Add(Events.PageView(flooder));
        }

        var http = await app.PostEventsAsShopperAsync(over, await app.ShopperTokenAsync(flooder));
        Assert.Equal(429, (int)http.Status);
        Assert.StartsWith("shopper_id", http.Error, StringComparison.Ordinal);

        // The other client noticed nothing.
        Assert.Equal(HubConnectionState.Connected, calm.State);
        var ok = await calm.InvokeAsync<JsonElement>("TrackBatch", Events.Batch(Events.PageView(bystander), Events.PageView(bystander)));
        Assert.Equal(2, ok.GetProperty("accepted").GetInt32());
        await AssertOnlyMarkerArrivesAsync(calm, bystander);
    }

    [Fact]
    public async Task Hub_events_cannot_claim_revenue_or_move_the_clock()
    {
        var shopper = NewShopper("hub-clock");
        await using var hub = await app.ConnectShopperAsync(shopper);
        var purchase = Events.With(Events.Make("purchase", shopper, "cart-hc"), "order", new JsonObject { ["order_id"] = "o-hub", ["total"] = 5000, ["currency"] = "EUR", ["skus"] = new JsonArray("SKU-1") });
        var refused = await hub.InvokeAsync<JsonElement>("Track", purchase);
        Assert.Equal(0, refused.GetProperty("accepted").GetInt32());
        var error = Assert.Single(refused.GetProperty("rejected").EnumerateArray());
        Assert.Equal("type", error.GetProperty("field").GetString());
        Assert.Contains("purchases come from the store backend", error.GetProperty("reason").GetString(), StringComparison.Ordinal);

        var received = DateTimeOffset.UtcNow;
        var backdated = Events.AddToCart(shopper, "cart-hc", price: 300);
        backdated["occurred_at"] = received.AddHours(-3).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var batch = await hub.InvokeAsync<JsonElement>("TrackBatch", Events.Batch(backdated, purchase));
        Assert.Equal(1, batch.GetProperty("accepted").GetInt32());
        Assert.Equal(1, Assert.Single(batch.GetProperty("rejected").EnumerateArray()).GetProperty("index").GetInt32());
        var cart = (await app.GetCartAsync(shopper, "cart-hc"))!.Value;
        var lastActivity = cart.GetProperty("last_activity_at").GetDateTimeOffset();
        Assert.True(lastActivity >= received.AddSeconds(-1), $"last_activity_at {lastActivity:O}, received {received:O}");
    }

    [Fact]
    public async Task A_hub_batch_larger_than_the_burst_is_refused_whole()
    {
        var limits = app.Service<IOptions<LimitsOptions>>().Value;
        var burst = limits.EventsPerShopperPerSecond * 10;
        var shopper = "hb-" + Guid.NewGuid().ToString("N")[..8];
        await using var hub = await app.ConnectShopperAsync(shopper);

        // Small events, so that the batch stays under the message size limit.
        var at = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        JsonArray Views(int n, string prefix) => new(Enumerable.Range(0, n)
            .Select(i => (JsonNode)new JsonObject { ["event_id"] = $"{prefix}{i}", ["type"] = "page_view", ["shopper_id"] = shopper, ["session_id"] = "s", ["occurred_at"] = at })
            .ToArray());
        var big = Views(burst + 10, "b");
        Assert.True(big.ToJsonString().Length < limits.MaxHubMessageBytes);

        var refused = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<JsonElement>("TrackBatch", big));
        Assert.Contains("rate limit", refused.Message, StringComparison.Ordinal);

        // The refused batch took nothing: the whole burst is still there.
        Assert.Equal(burst, (await hub.InvokeAsync<JsonElement>("TrackBatch", Views(burst, "ok"))).GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task Calls_whose_arguments_do_not_bind_are_refused_and_count_towards_the_disconnect()
    {
        var limits = app.Service<IOptions<LimitsOptions>>().Value;
        var bystander = NewShopper("unbound-ok");
        var offender = NewShopper("unbound-bad");
        await using var calm = await app.ConnectShopperAsync(bystander);
        await using var bad = await app.ConnectShopperAsync(offender);

        // Refused with a message naming the call, like any other refusal.
        var tooMany = await Assert.ThrowsAsync<HubException>(() => bad.InvokeAsync<JsonElement>("Track", Events.PageView(offender), Events.PageView(offender)));
        Assert.Contains("arguments: 'Track' cannot be called with these arguments", tooMany.Message, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<HubException>(() => bad.InvokeAsync<JsonElement>("TrackBatch"));
        Assert.Contains("arguments: 'TrackBatch'", missing.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<HubException>(() => bad.InvokeAsync<JsonElement>("DeleteEverything", 1));
        Assert.Contains("arguments: 'DeleteEverything'", unknown.Message, StringComparison.Ordinal);

        // Each one counts: after the limit the connection is cut.
        var refused = 3;
        for (var i = 0; i < limits.HubViolationsBeforeDisconnect * 2 && !bad.HasClosed(); i++)
        {
            try
            {
                await bad.InvokeAsync<JsonElement>("Track");
                Assert.Fail("a call without arguments was accepted");
            }
            catch (Exception e) when (HubClients.EndedByClose(e))
            {
                break;
            }
            catch (HubException)
            {
                refused++;
            }
        }

        var closed = await bad.WaitClosedAsync();
        Assert.True(bad.State != HubConnectionState.Connected, $"connection still open after {refused} refused calls: {closed}");
        Assert.True(refused <= limits.HubViolationsBeforeDisconnect, $"{refused} refused calls before the disconnect (limit {limits.HubViolationsBeforeDisconnect})");

        // The other client noticed nothing.
        var ok = await calm.InvokeAsync<JsonElement>("Track", Events.PageView(bystander));
        Assert.Equal(1, ok.GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task Refused_calls_are_not_logged_as_errors_with_a_stack_trace()
    {
        var shopper = NewShopper("quiet");
        await using var hub = await app.ConnectShopperAsync(shopper);
        var oversized = new JsonArray();
        for (var i = 0; i <= EventValidator.MaxBatch; i++)
        {
            oversized.Add(i); // refused for the count before any event is read
        }

        var refusal = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<JsonElement>("TrackBatch", oversized));
        Assert.Contains("events: a batch holds at most", refusal.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<JsonElement>("Track"));
        await SyncAsync(hub);

        var errors = app.Logs.Records.Where(r => r.Level >= LogLevel.Error && (r.Exception is HubException || r.Message.Contains("TrackBatch", StringComparison.Ordinal) || r.Message.Contains("'Track'", StringComparison.Ordinal))).ToList();
        Assert.True(errors.Count == 0, "refusals logged as errors: " + string.Join(" | ", errors.Select(e => $"{e.Category} {e.Level} {e.Message} {e.Exception?.GetType().Name}")));
    }
}
