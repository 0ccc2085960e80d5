using System.Diagnostics;
using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Carts;

namespace CartRecovery.Grains.Tests;

/// <summary>Deadlines, collection and concurrent writers on real silos and the real clock.</summary>
public sealed class LiveDeadlineTests
{
    [Fact]
    public async Task An_active_carts_deadline_fires_on_time_through_its_grain_timer()
    {
        using var database = LiveSilo.NewDatabase();
        await using var silo = await LiveSilo.StartAsync(database);

        // A first cart warms the silo up (a cold one compiles its ingest path while the clock runs).
        await silo.IngestAsync(LiveSilo.Add("warm-up", DateTimeOffset.UtcNow));
        await silo.WaitForCartAsync("warm-up", c => c.IdleAt is not null, TimeSpan.FromSeconds(10));

        await silo.Grains.GetGrain<IShopperGrain>("timer").Connect();
        var at = DateTimeOffset.UtcNow;
        await silo.IngestAsync(LiveSilo.Add("timer", at));

        // Second precision, even while the other test assemblies share the machine's two cores.
        var cart = await silo.WaitForCartAsync("timer", c => c.IdleAt is not null, TimeSpan.FromSeconds(10));
        Assert.NotNull(cart.IdleAt);
        var late = cart.IdleAt!.Value - (at + TimeSpan.FromSeconds(2));
        Assert.InRange(late, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.Equal(CartStages.Nudged, cart.Stage);
    }

    [Fact]
    public async Task A_deadline_passed_while_the_silo_was_down_fires_within_two_seconds_of_the_restart()
    {
        using var database = LiveSilo.NewDatabase();
        DateTimeOffset at;
        await using (var first = await LiveSilo.StartAsync(database))
        {
            at = DateTimeOffset.UtcNow;
            await first.IngestAsync(LiveSilo.Add("restart", at));
            Assert.Null((await first.CartAsync("restart")).AbandonedAt);
        }

        // Down past the abandon deadline (3 s after the add) and the reminder behind it.
        var abandonAt = at + TimeSpan.FromSeconds(3);
        var wait = abandonAt + TimeSpan.FromSeconds(2) - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        await using var second = await LiveSilo.StartAsync(database);
        var back = Stopwatch.StartNew();
        var cart = await second.WaitForCartAsync("restart", c => c.AbandonedAt is not null, TimeSpan.FromSeconds(10));
        Assert.NotNull(cart.AbandonedAt);
        Assert.True(back.Elapsed < TimeSpan.FromSeconds(2), $"abandoned {back.Elapsed.TotalSeconds:0.00} s after the silo was back");
        Assert.Equal(CartStages.Abandoned, cart.Stage);
        Assert.NotNull(cart.LastDecision);
    }

    [Fact]
    public async Task Idle_collection_deactivates_carts_and_their_state_comes_back_from_storage()
    {
        using var database = LiveSilo.NewDatabase();
        await using var silo = await LiveSilo.StartAsync(database, new() { ["Policy:OnsiteDelaySeconds"] = "600", ["Policy:AbandonAfterSeconds"] = "900" });
        await silo.IngestAsync(LiveSilo.Add("collected", DateTimeOffset.UtcNow, "A", 12), LiveSilo.Add("collected", DateTimeOffset.UtcNow, "B", 8));
        var management = silo.Grains.GetGrain<IManagementGrain>(0);
        Assert.True(await CartActivationsAsync(management) > 0);

        await management.ForceActivationCollection(TimeSpan.Zero);
        Assert.Equal(0, await CartActivationsAsync(management));

        var cart = await silo.CartAsync("collected");
        Assert.Equal(20, cart.Value);
        Assert.Equal(["A", "B"], cart.Lines.Select(l => l.Sku).Order());
    }

    [Fact]
    public async Task Of_two_silos_holding_the_same_cart_the_one_with_a_stale_etag_loses_and_rereads()
    {
        // Two separate clusters over one database: what a split brain looks like to storage.
        using var database = LiveSilo.NewDatabase();
        var quiet = new Dictionary<string, string?> { ["Policy:OnsiteDelaySeconds"] = "600", ["Policy:AbandonAfterSeconds"] = "900" };
        await using var a = await LiveSilo.StartAsync(database, quiet);
        await using var b = await LiveSilo.StartAsync(database, quiet);
        var now = DateTimeOffset.UtcNow;
        await a.IngestAsync(LiveSilo.Add("split", now, "A", 10));
        Assert.Equal(10, (await b.CartAsync("split")).Value); // b activates at a's version

        await a.IngestAsync(LiveSilo.Add("split", now, "B", 5));
        await Assert.ThrowsAnyAsync<Exception>(() => b.IngestAsync(LiveSilo.Add("split", now, "C", 1)));

        // b's activation was dropped; its next call starts from what a stored.
        var reread = await b.CartAsync("split");
        Assert.Equal(15, reread.Value);
        Assert.Equal(["A", "B"], reread.Lines.Select(l => l.Sku).Order());
    }

    private static async Task<int> CartActivationsAsync(IManagementGrain management) =>
        (await management.GetSimpleGrainStatistics()).Where(s => s.GrainType.Contains("CartGrain", StringComparison.Ordinal)).Sum(s => s.ActivationCount);
}
