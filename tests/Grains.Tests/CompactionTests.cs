using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;

namespace CartRecovery.Grains.Tests;

/// <summary>Compaction of a cart's event records never changes its lines, even for events that arrive late.</summary>
public sealed class CompactionTests
{
    /// <summary>50 lines, then 400 checkout steps: the 50 adds are compacted away.</summary>
    private static StorefrontEvent[] LongCart(DomainHost host, string shopper) =>
    [
        .. Enumerable.Range(0, 50).Select(i => host.Add(shopper, i, "sku" + i, 2)),
        .. Enumerable.Range(0, 400).Select(i => host.Event(EventTypes.CheckoutStep, shopper, 100 + i)),
    ];

    private static (string, int, double)[] Lines(CartState c) => c.Lines.OrderBy(l => l.Sku, StringComparer.Ordinal).Select(l => (l.Sku, l.Quantity, l.Price)).ToArray();

    [Fact]
    public async Task A_late_event_on_a_compacted_cart_keeps_every_line()
    {
        await using var host = await DomainHost.StartAsync();
        foreach (var chunk in LongCart(host, "late").Chunk(100))
        {
            await host.IngestAsync(chunk);
        }

        Assert.Equal(50, (await host.CartAsync("late")).Lines.Count);

        // After the compacted adds, before the kept records: a re-fold.
        await host.IngestAsync(host.Add("late", 60, "extra", 5));
        var cart = await host.CartAsync("late");
        Assert.Equal(51, cart.Lines.Count);
        Assert.Equal(50 * 2 + 5, cart.Value);
        Assert.Equal(2, cart.CheckoutStep);
        Assert.True(cart.Events.Count <= 400);

        // The same events in time order, never compacted before the add: the same cart.
        var reference = LongCart(host, "ordered").ToList();
        reference.Insert(50, host.Add("ordered", 60, "extra", 5));
        foreach (var chunk in reference.Chunk(100))
        {
            await host.IngestAsync(chunk);
        }

        Assert.Equal(Lines(await host.CartAsync("ordered")), Lines(cart));
    }

    [Fact]
    public async Task An_event_older_than_the_compacted_records_is_applied_as_an_adjustment()
    {
        await using var host = await DomainHost.StartAsync();
        foreach (var chunk in LongCart(host, "older").Chunk(100))
        {
            await host.IngestAsync(chunk);
        }

        await host.IngestAsync(host.Event(EventTypes.RemoveFromCart, "older", 10.5, e => e.Item = new ItemInfo { Sku = "sku5", Price = 2, Quantity = 1 }));
        var cart = await host.CartAsync("older");
        Assert.Equal(49, cart.Lines.Count);
        Assert.DoesNotContain(cart.Lines, l => l.Sku == "sku5");
        Assert.Equal(49 * 2, cart.Value);
        Assert.Equal(1, cart.Removals);

        // Compacted again and re-folded again: still the same lines.
        await host.IngestAsync(Enumerable.Range(0, 50).Select(i => host.Event(EventTypes.CheckoutStep, "older", 600 + i)).ToArray());
        await host.IngestAsync(host.Add("older", 550, "extra", 1));
        cart = await host.CartAsync("older");
        Assert.Equal(50, cart.Lines.Count);
        Assert.Equal(49 * 2 + 1, cart.Value);
    }
}
