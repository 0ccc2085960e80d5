using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Sessions;
using CartRecovery.Grains.Abstractions.Shoppers;
using CartRecovery.Grains.Scoring;
using CartRecovery.Grains.Shoppers;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Providers;
using Orleans.Runtime;
using Orleans.Storage;

namespace CartRecovery.Grains.Tests;

/// <summary>Session features live in the shopper's state, bounded, and feed the cart's score.</summary>
public sealed class SessionFeatureTests
{
    [Fact]
    public async Task A_shopper_keeps_the_features_of_its_most_recently_active_sessions_only()
    {
        await using var host = await DomainHost.StartAsync();
        var sessions = ShopperGrain.MaxSessionFeatures + 2;
        var events = new List<StorefrontEvent>();
        for (var i = 0; i < sessions; i++)
        {
            // Session i is active at second 10*i, and session 0 once more after session 2.
            events.Add(host.Event(EventTypes.PageView, "s1", 10 * i, e => e.SessionId = $"x{i}"));
            if (i == 1)
            {
                events.Add(host.Event(EventTypes.ProductView, "s1", 25, e =>
                {
                    e.SessionId = "x0";
                    e.Item = new ItemInfo { Sku = "A", Name = "A", Price = 4, Quantity = 1, Currency = "EUR" };
                }));
            }
        }

        await host.IngestAsync(events.ToArray());

        var shopper = host.Grains.GetGrain<IShopperGrain>("s1");
        var kept = (await shopper.Get()).SessionFeatures.Select(s => s.SessionId).ToHashSet();
        Assert.Equal(ShopperGrain.MaxSessionFeatures, kept.Count);
        Assert.DoesNotContain("x1", kept);
        Assert.DoesNotContain("x2", kept);
        Assert.Contains("x0", kept);

        var x0 = await shopper.GetSession("x0");
        Assert.NotNull(x0);
        Assert.Equal(2, x0.Events);
        Assert.Equal(1, x0.PageViews);
        Assert.Equal(1, x0.ProductViews);
        Assert.Equal(4, x0.ViewedValue);
        Assert.True(x0.Returning);
        Assert.Null(await shopper.GetSession("x1"));
    }

    [Fact]
    public async Task A_cart_whose_session_the_shopper_no_longer_holds_scores_with_the_session_the_previous_release_stored()
    {
        await using var host = await DomainHost.StartAsync();
        var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
        var legacy = new SessionState { ShopperId = "old", SessionId = "old-s1", Events = 9, PageViews = 7, Device = "mobile" };
        await storage.WriteStateAsync("session", GrainId.Create("session", "old/old-s1"), new GrainState<SessionState>(legacy));

        foreach (var shopper in new[] { "new", "old" })
        {
            var events = new List<StorefrontEvent> { host.Add(shopper, 0, "A", 10) };
            for (var i = 0; i < ShopperGrain.MaxSessionFeatures; i++)
            {
                events.Add(host.Event(EventTypes.PageView, shopper, 1 + i, e => e.SessionId = $"{shopper}-later{i}"));
            }

            await host.IngestAsync(events.ToArray());
            Assert.Null(await host.Grains.GetGrain<IShopperGrain>(shopper).GetSession($"{shopper}-s1"));
        }

        await host.AdvanceAsync(61);
        var pageViews = Array.IndexOf(FeatureSet.Names, "page_views");
        var device = Array.IndexOf(FeatureSet.Names, "device_mobile");
        var scoredWithout = (await host.CartAsync("new")).ScoredFeatures!;
        var scoredLegacy = (await host.CartAsync("old")).ScoredFeatures!;
        Assert.True(float.IsNaN(scoredWithout[pageViews]));
        Assert.Equal(7, scoredLegacy[pageViews]);
        Assert.Equal(1, scoredLegacy[device]);
    }

    [Fact]
    public async Task A_session_grain_still_applies_a_previous_release_shoppers_events_once()
    {
        await using var host = await DomainHost.StartAsync();
        var session = host.Grains.GetGrain<ISessionGrain>("old/old-s1");
        var add = host.Add("old", 0, "A", 10);
        var view = host.Event(EventTypes.PageView, "old", 1);
        var shopper = new ShopperDecision { Returning = true, PastPurchases = 2 };
        await session.Apply(new EventBatch([add, view]), shopper);
        await session.Apply(new EventBatch([add]), shopper);

        var stored = await session.Get();
        Assert.Equal(2, stored.Events);
        Assert.Equal(1, stored.CartAdds);
        Assert.Equal(1, stored.PageViews);
        Assert.True(stored.Returning);
        Assert.Equal(2, stored.PastPurchases);
    }
}
