using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Nudges;

namespace CartRecovery.Grains.Tests;

public sealed class CartTests
{
    [Fact]
    public async Task A_duplicate_event_id_is_applied_once()
    {
        await using var host = await DomainHost.StartAsync();
        var add = host.Add("s1", 0, "A", 10, 2);
        await host.IngestAsync(add);
        await host.IngestAsync(add);
        var cart = await host.CartAsync("s1");
        Assert.Equal(2, Assert.Single(cart.Lines).Quantity);
        Assert.Equal(20, cart.Value);
    }

    [Fact]
    public async Task Out_of_order_events_give_the_same_cart_as_in_order()
    {
        await using var host = await DomainHost.StartAsync();
        StorefrontEvent[] Events(string shopper) =>
        [
            host.Add(shopper, 0, "A", 10, 1),
            host.Add(shopper, 10, "B", 5, 3),
            host.Event(EventTypes.CartUpdate, shopper, 20, e => e.Item = new ItemInfo { Sku = "B", Price = 5, Quantity = 1 }),
            host.Event(EventTypes.RemoveFromCart, shopper, 30, e => e.Item = new ItemInfo { Sku = "A", Price = 10, Quantity = 1 }),
            host.Event(EventTypes.CartUpdate, shopper, 40, e => e.Item = new ItemInfo { Sku = "B", Price = 5, Quantity = 4 }),
        ];
        var ordered = Events("in-order");
        foreach (var e in ordered)
        {
            await host.IngestAsync(e);
        }

        var shuffled = Events("shuffled");
        foreach (var i in new[] { 4, 2, 0, 3, 1 })
        {
            await host.IngestAsync(shuffled[i]);
        }

        var a = await host.CartAsync("in-order");
        var b = await host.CartAsync("shuffled");
        Assert.Equal(20, a.Value);
        Assert.Equal(a.Value, b.Value);
        Assert.Equal(a.Lines.Select(l => (l.Sku, l.Quantity)), b.Lines.Select(l => (l.Sku, l.Quantity)));
        Assert.Equal(1, b.Removals);
    }

    [Fact]
    public async Task Idle_cart_of_a_connected_shopper_is_nudged_on_site_then_recovered_by_purchase()
    {
        await using var host = await DomainHost.StartAsync();
        await host.Grains.GetGrain<IShopperGrain>("s1").Connect();
        await host.IngestAsync(host.Add("s1", 0, "A", 30));
        await host.AdvanceAsync(30);
        Assert.Equal(CartStages.Active, (await host.CartAsync("s1")).Stage);
        await host.AdvanceAsync(61);
        var cart = await host.CartAsync("s1");
        Assert.Equal(CartStages.Nudged, cart.Stage);
        var nudge = Assert.Single(cart.Nudges);
        Assert.Equal(NudgeChannels.OnSite, nudge.Channel);
        Assert.Equal("s1/c-s1-s1:onsite", nudge.NudgeId);
        var pending = await host.Grains.GetGrain<IShopperGrain>("s1").Connect();
        Assert.Equal(nudge.NudgeId, Assert.Single(pending).NudgeId);

        await host.IngestAsync(host.Event(EventTypes.NudgeClicked, "s1", 70, e => e.Nudge = new NudgeRef { NudgeId = nudge.NudgeId }));
        await host.IngestAsync(host.Purchase("s1", 90, 30, "A"));
        cart = await host.CartAsync("s1");
        Assert.Equal(CartStages.Recovered, cart.Stage);
        Assert.Equal(30, cart.Revenue);
        Assert.NotNull(cart.Nudges[0].ClickedAt);
        Assert.Empty(await host.Grains.GetGrain<IShopperGrain>("s1").Connect());
    }

    [Fact]
    public async Task A_purchase_without_a_nudge_is_a_direct_purchase()
    {
        await using var host = await DomainHost.StartAsync();
        await host.IngestAsync(host.Add("s1", 0, "A", 30), host.Purchase("s1", 10, 30, "A"));
        var cart = await host.CartAsync("s1");
        Assert.Equal(CartStages.Purchased, cart.Stage);
        await host.AdvanceAsync(100_000);
        Assert.Equal(CartStages.Purchased, (await host.CartAsync("s1")).Stage);
    }

    [Fact]
    public async Task A_shopper_who_is_gone_gets_no_on_site_nudge_and_the_cart_abandons_then_expires()
    {
        await using var host = await DomainHost.StartAsync();
        await host.IngestAsync(host.Add("s1", 0, "A", 30));
        await host.AdvanceAsync(61);
        var cart = await host.CartAsync("s1");
        Assert.Equal(CartStages.Idle, cart.Stage);
        Assert.Contains("not connected", cart.LastDecision);
        await host.AdvanceAsync(601);
        cart = await host.CartAsync("s1");
        Assert.Equal(CartStages.Abandoned, cart.Stage);
        Assert.Empty(cart.Nudges);
        await host.AdvanceAsync(168 * 3600 + 10);
        Assert.Equal(CartStages.Expired, (await host.CartAsync("s1")).Stage);
    }

    [Fact]
    public async Task Activity_after_going_idle_makes_the_cart_active_again()
    {
        await using var host = await DomainHost.StartAsync();
        await host.IngestAsync(host.Add("s1", 0, "A", 30));
        await host.AdvanceAsync(61);
        Assert.Equal(CartStages.Idle, (await host.CartAsync("s1")).Stage);
        await host.IngestAsync(host.Add("s1", 62, "B", 5));
        Assert.Equal(CartStages.Active, (await host.CartAsync("s1")).Stage);
    }

    [Fact]
    public async Task Attribution_window_edges()
    {
        await using var host = await DomainHost.StartAsync(new() { ["Policy:AttributionWindowHours"] = "1" });
        foreach (var s in new[] { "inside", "outside" })
        {
            await host.Grains.GetGrain<IShopperGrain>(s).Connect();
            await host.IngestAsync(host.Add(s, 0, "A", 30));
        }

        await host.AdvanceAsync(61);
        var nudgedAt = (await host.CartAsync("inside")).NudgedAt!.Value;
        var offset = (nudgedAt - DomainHost.Start).TotalSeconds;

        // No clock advance: the purchase is judged by its own time against the nudge.
        await host.IngestAsync(host.Purchase("inside", offset + 3600 - 1, 30, "A"));
        await host.IngestAsync(host.Purchase("outside", offset + 3600 + 1, 30, "A"));
        Assert.Equal(CartStages.Recovered, (await host.CartAsync("inside")).Stage);
        Assert.Equal(CartStages.Purchased, (await host.CartAsync("outside")).Stage);
    }

    [Fact]
    public async Task A_batch_sent_again_applies_once_and_nudges_stay_one_per_stage()
    {
        await using var host = await DomainHost.StartAsync();
        var add = host.Add("s1", 0, "A", 10, 2);
        var other = host.Add("s1", 1, "B", 5);
        var first = await host.IngestAsync(add, other);
        Assert.Equal(2, first.Accepted);

        // A client retry of the same batch, and the same event twice inside one batch.
        await host.IngestAsync(add, other);
        await host.IngestAsync(add, add);
        var cart = await host.CartAsync("s1");
        Assert.Equal(25, cart.Value);
        Assert.Equal(2, (await host.Grains.GetGrain<IShopperGrain>("s1").GetSession("s1-s1"))!.CartAdds);

        await host.Grains.GetGrain<IShopperGrain>("s1").Connect();
        await host.AdvanceAsync(61);
        await host.AdvanceAsync(62);
        Assert.Single((await host.CartAsync("s1")).Nudges);
    }

    [Fact]
    public async Task A_late_add_before_a_purchase_does_not_reopen_the_cart()
    {
        await using var host = await DomainHost.StartAsync();
        await host.IngestAsync(host.Add("s1", 0, "A", 10));
        await host.IngestAsync(host.Purchase("s1", 20, 15, "A"));
        await host.IngestAsync(host.Add("s1", 10, "B", 5));
        var cart = await host.CartAsync("s1");
        Assert.Equal(CartStages.Purchased, cart.Stage);
        Assert.Equal(15, cart.Revenue);
        Assert.Equal(2, cart.Lines.Count);
    }
}
