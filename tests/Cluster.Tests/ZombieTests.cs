using CartRecovery.Cluster.Tests.Support;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Replay;
using CartRecovery.TestSupport;
using Xunit.Abstractions;

namespace CartRecovery.Cluster.Tests;

/// <summary>A silo frozen (SIGSTOP) until the cluster declares it dead, then resumed.</summary>
public sealed class ZombieTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_silo_resumed_after_it_was_declared_dead_cannot_write_and_no_cart_goes_backwards()
    {
        await using var cluster = await ClusterHarness.StartAsync(output);
        var silos = await Task.WhenAll(cluster.StartSiloAsync("silo-1"), cluster.StartSiloAsync("silo-2"), cluster.StartSiloAsync("silo-3"));
        var gateway = await cluster.StartGatewayAsync("gateway");

        // Carts spread over the three silos, each with a deadline timer due while the zombie is frozen.
        var shoppers = Enumerable.Range(0, 30).Select(i => $"z-{i}").ToList();
        await cluster.IngestAsync(gateway, ReferenceCarts.Body(shoppers.Select(s => Add(s, "first", "A")).ToList()));
        var zombie = silos[2];
        zombie.Process.Signal(ChildProcess.SigStop);

        // Once the others declared it dead, its carts live elsewhere and take more events.
        var second = shoppers.Select(s => Add(s, "second", "B")).ToList();
        await cluster.IngestAsync(gateway, ReferenceCarts.Body(second), giveUpAfter: TimeSpan.FromSeconds(30));
        foreach (var s in shoppers)
        {
            var cart = await cluster.GetCartAsync(gateway, s, "c1");
            Assert.Equal("Ax1,Bx1", CartContent.Of(cart!.Value).Lines);
        }

        // Resumed: its timers fire on stale activations; every write it tries must be refused.
        zombie.Process.Signal(ChildProcess.SigCont);
        await Task.Delay(TimeSpan.FromSeconds(8));
        var stored = await cluster.StoredCartsAsync();
        foreach (var s in shoppers)
        {
            var cart = stored[$"{s}/c1"];
            Assert.Equal("Ax1,Bx1", CartContent.Of(cart).Lines);
            Assert.NotEqual("active", cart.GetProperty("stage").GetString());
        }

        // The zombie learns it was declared dead and stops rather than serve again.
        Assert.True(await zombie.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the resumed zombie kept running");
    }

    private static StorefrontEvent Add(string shopper, string id, string sku) => new()
    {
        EventId = $"{shopper}-{id}",
        Type = EventTypes.AddToCart,
        ShopperId = shopper,
        SessionId = "s1",
        CartId = "c1",
        OccurredAt = DateTimeOffset.UtcNow,
        Item = new ItemInfo { Sku = sku, Price = 20, Quantity = 1 },
    };
}
