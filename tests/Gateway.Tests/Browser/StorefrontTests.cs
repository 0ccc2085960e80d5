using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace CartRecovery.Gateway.Tests.Browser;

/// <summary>The demo storefront end to end: add to cart, the idle cart gets a popup, the shopper comes back and buys.</summary>
[Collection(BrowserCollection.Name)]
public sealed class StorefrontTests(ChromiumFixture chromium, SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task Idle_cart_gets_an_accessible_nudge_and_the_purchase_counts_as_recovered()
    {
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(silo.BaseAddress + "/");
        await ChromiumFixture.WaitConnectedAsync(page);
        await ChromiumFixture.ScreenshotAsync(page, "storefront-1-home");

        await page.ClickAsync("[data-testid=add-TRAIL-SHOE-42]");
        await page.ClickAsync("[data-testid=add-DAYPACK-20L]");
        Assert.Equal("2", await page.TextContentAsync("[data-testid=cart-count]"));
        var cartId = await page.EvaluateAsync<string>("JSON.parse(localStorage.getItem('demo.cart')).cart_id");
        var shopperId = await page.EvaluateAsync<string>("CartRecovery.shopperId()");

        // The cart goes idle; the silo pushes an on-site nudge over SignalR.
        var popup = await page.WaitForSelectorAsync("[data-testid=nudge-popup]", new() { Timeout = 30_000 });
        await ChromiumFixture.ScreenshotAsync(page, "storefront-2-nudge", fullPage: false);
        Assert.Equal("dialog", await popup!.GetAttributeAsync("role"));
        Assert.Equal("true", await popup.GetAttributeAsync("aria-modal"));
        var titleId = await popup.GetAttributeAsync("aria-labelledby");
        Assert.False(string.IsNullOrWhiteSpace(await page.TextContentAsync($"[id='{titleId}']")));
        Assert.False(string.IsNullOrWhiteSpace(await page.TextContentAsync("[data-testid=nudge-code]")));

        // Keyboard: focus starts on the call to action, Tab stays inside the dialog, Enter activates.
        Assert.Equal("nudge-cta", await FocusedTestIdAsync(page));
        await page.Keyboard.PressAsync("Tab");
        Assert.True(await page.EvaluateAsync<bool>("document.querySelector('[data-testid=nudge-popup]').contains(document.activeElement)"));
        await page.Keyboard.PressAsync("Shift+Tab");
        Assert.Equal("nudge-cta", await FocusedTestIdAsync(page));
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForSelectorAsync("[data-testid=nudge-popup]", new() { State = WaitForSelectorState.Detached });

        // The call to action opens the cart; check out and place the order.
        await page.ClickAsync("[data-testid=checkout]");
        await page.FillAsync("#email", "shopper@example.com");
        await page.ClickAsync("[data-testid=checkout-continue]");
        await page.ClickAsync("[data-testid=place-order]");
        await page.WaitForSelectorAsync("[data-testid=order-confirmation]", new() { State = WaitForSelectorState.Visible });
        await ChromiumFixture.ScreenshotAsync(page, "storefront-3-order-placed");
        Assert.Equal("0", await page.TextContentAsync("[data-testid=cart-count]"));

        // The store's backend reports the order (a browser cannot claim revenue).
        var token = await silo.LoginAsync(SiloFixture.AdminUser, SiloFixture.AdminPassword);
        var orderId = (await page.TextContentAsync("#order-id"))!.Trim();
        var (_, before) = await silo.SendAsync(HttpMethod.Get, $"v1/carts/{Uri.EscapeDataString(cartId)}?shopper_id={Uri.EscapeDataString(shopperId)}", token);
        var total = before!.RootElement.GetProperty("value").GetDouble();
        var purchase = System.Text.Json.JsonSerializer.Serialize(new[]
        {
            new Dictionary<string, object>
            {
                ["event_id"] = "order-" + orderId, ["type"] = "purchase", ["shopper_id"] = shopperId, ["session_id"] = "store-backend",
                ["cart_id"] = cartId, ["occurred_at"] = DateTimeOffset.UtcNow.ToString("O"),
                ["order"] = new Dictionary<string, object> { ["order_id"] = orderId, ["total"] = total, ["currency"] = "EUR", ["skus"] = new[] { "TRAIL-SHOE-42", "DAYPACK-20L" } },
            },
        });
        Assert.Equal(200, await silo.PostEventsAsStoreAsync(purchase));

        var from = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(-1).ToString("O"));
        var to = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(1).ToString("O"));
        var recovered = await SiloFixture.EventuallyAsync(
            async () =>
            {
                var (status, body) = await silo.SendAsync(HttpMethod.Get, $"v1/reports/recovery?from={from}&to={to}", token);
                Assert.Equal(200, status);
                return body!.RootElement.GetProperty("carts_recovered").GetInt32();
            },
            n => n >= 1,
            TimeSpan.FromSeconds(30),
            "carts_recovered >= 1");
        Assert.True(recovered >= 1);

        var (cartStatus, cart) = await silo.SendAsync(HttpMethod.Get, $"v1/carts/{Uri.EscapeDataString(cartId)}?shopper_id={Uri.EscapeDataString(shopperId)}", token);
        Assert.Equal(200, cartStatus);
        Assert.Equal("recovered", cart!.RootElement.GetProperty("stage").GetString());
        Assert.Empty(ChromiumFixture.ErrorsOf(page));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Escape_dismisses_the_nudge_and_it_is_not_shown_again_after_a_reload()
    {
        var page = await chromium.NewPageAsync(width: 390, height: 800);
        await page.GotoAsync(silo.BaseAddress + "/");
        await ChromiumFixture.WaitConnectedAsync(page);
        await page.ClickAsync("[data-testid=add-HEADLAMP-300]");

        await page.WaitForSelectorAsync("[data-testid=nudge-popup]", new() { Timeout = 30_000 });
        await ChromiumFixture.ScreenshotAsync(page, "storefront-4-nudge-mobile", fullPage: false);
        await page.Keyboard.PressAsync("Escape");
        await page.WaitForSelectorAsync("[data-testid=nudge-popup]", new() { State = WaitForSelectorState.Detached });
        Assert.Equal("1", await page.TextContentAsync("[data-testid=cart-count]"));

        // On reconnect the server re-sends pending nudges; the SDK must not pop a dismissed one up again.
        await page.ReloadAsync();
        await ChromiumFixture.WaitConnectedAsync(page);
        // track() resolves on the server's ack, which comes after any nudge re-sent on connect.
        var ack = await page.EvaluateAsync<bool>("CartRecovery.track('page_view', { page: { url: location.href } }).then(r => r.accepted)");
        Assert.True(ack);
        Assert.Equal(0, await page.Locator("[data-testid=nudge-popup]").CountAsync());
        Assert.Empty(ChromiumFixture.ErrorsOf(page));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Events_tracked_while_the_connection_is_down_are_sent_after_it_comes_back()
    {
        var page = await chromium.NewPageAsync();
        var offline = false;
        IWebSocketRoute? socket = null;
        // While "offline" every way to the hub fails (negotiate is refused, so no transport fallback).
        await page.RouteAsync("**/hubs/shopper/negotiate**", route => offline ? route.AbortAsync() : route.ContinueAsync());
        await page.RouteWebSocketAsync(new Regex("/hubs/shopper"), ws =>
        {
            socket = ws;
            ws.ConnectToServer();
        });
        await page.GotoAsync(silo.BaseAddress + "/");
        await ChromiumFixture.WaitConnectedAsync(page);
        await page.ClickAsync("[data-testid=add-BOTTLE-750]");
        await WaitPendingAsync(page, 0);

        offline = true;
        await socket!.CloseAsync();
        await page.WaitForSelectorAsync("[data-testid=connection-status][data-state=reconnecting]", new() { State = WaitForSelectorState.Attached });
        await page.ClickAsync("[data-testid=add-BOTTLE-750]");
        await page.ClickAsync("[data-testid=add-HEADLAMP-300]");
        Assert.True(await page.EvaluateAsync<int>("CartRecovery.pending()") >= 2);

        offline = false;
        await ChromiumFixture.WaitConnectedAsync(page);
        await WaitPendingAsync(page, 0);

        var cartId = await page.EvaluateAsync<string>("JSON.parse(localStorage.getItem('demo.cart')).cart_id");
        var shopperId = await page.EvaluateAsync<string>("CartRecovery.shopperId()");
        var token = await silo.LoginAsync(SiloFixture.AdminUser, SiloFixture.AdminPassword);
        var (status, cart) = await silo.SendAsync(HttpMethod.Get, $"v1/carts/{Uri.EscapeDataString(cartId)}?shopper_id={Uri.EscapeDataString(shopperId)}", token);
        Assert.Equal(200, status);
        var quantities = cart!.RootElement.GetProperty("lines").EnumerateArray()
            .ToDictionary(l => l.GetProperty("sku").GetString()!, l => l.GetProperty("quantity").GetInt32());
        Assert.Equal(2, quantities["BOTTLE-750"]);
        Assert.Equal(1, quantities["HEADLAMP-300"]);
        await page.Context.CloseAsync();
    }

    private static async Task WaitPendingAsync(IPage page, int expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await page.EvaluateAsync<int>("CartRecovery.pending()") != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the SDK's queue did not drain to {expected} events");
            await Task.Delay(100);
        }
    }

    private static Task<string?> FocusedTestIdAsync(IPage page) =>
        page.EvaluateAsync<string?>("document.activeElement && document.activeElement.getAttribute('data-testid')");
}
