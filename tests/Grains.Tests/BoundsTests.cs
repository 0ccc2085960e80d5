using System.Text.Json;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Json;

namespace CartRecovery.Grains.Tests;

/// <summary>Per-key collections fed from outside stay within their documented bounds (docs/events.md).</summary>
public sealed class BoundsTests
{
    [Fact]
    public async Task A_cart_holds_at_most_100_lines_and_10000_of_one_sku_and_says_what_it_refused()
    {
        await using var host = await DomainHost.StartAsync();
        var adds = Enumerable.Range(0, 2000).Select(i => host.Add("s1", i * 0.01, "sku" + i, 1)).ToArray();
        foreach (var chunk in adds.Chunk(500))
        {
            await host.IngestAsync(chunk);
        }

        await host.IngestAsync(host.Add("s1", 30, "sku0", 1, 10_000), host.Add("s1", 31, "sku0", 1, 10_000));
        var cart = await host.CartAsync("s1");
        Assert.Equal(100, cart.Lines.Count);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => "sku" + i), cart.Lines.Select(l => l.Sku));
        Assert.Equal(10_000, cart.Lines[0].Quantity);
        var json = JsonSerializer.Serialize(cart, GrainsJsonContext.Default.CartState);
        Assert.Contains("\"lines_refused\":1900", json);
        Assert.True(json.Length < 200_000, $"a full cart is {json.Length} bytes");
    }

    [Fact]
    public async Task A_purchase_record_keeps_at_most_5_of_the_orders_skus_the_carts_own_first()
    {
        await using var host = await DomainHost.StartAsync();
        await host.IngestAsync(host.Add("s1", 0, "mine", 10));
        var skus = Enumerable.Range(0, 500).Select(i => "other" + i).Append("mine").ToArray();
        await host.IngestAsync(host.Purchase("s1", 10, 10, skus[1..]));
        var cart = await host.CartAsync("s1");
        var record = cart.Events.Single(r => r.Type == EventTypes.Purchase);
        Assert.Equal(5, record.Skus!.Count);
        Assert.Equal("mine", record.Skus[0]);
        Assert.Equal("purchased", cart.Stage);
    }
}
