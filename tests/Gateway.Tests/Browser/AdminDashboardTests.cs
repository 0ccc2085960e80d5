using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace CartRecovery.Gateway.Tests.Browser;

/// <summary>The admin dashboard: sign-in, live tiles over SignalR, REST panels and the policy editor by role.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AdminDashboardTests(ChromiumFixture chromium, SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task Wrong_password_is_refused()
    {
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(silo.BaseAddress + "/admin/");
        await page.FillAsync("[data-testid=login-user]", SiloFixture.AdminUser);
        await page.FillAsync("[data-testid=login-password]", "not-the-password");
        await page.ClickAsync("[data-testid=login-submit]");
        await page.WaitForSelectorAsync("#login-error:has-text('Wrong user name or password')");
        Assert.True(await page.IsHiddenAsync("#dashboard"));
        Assert.Empty(ChromiumFixture.ErrorsOf(page));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_sees_live_numbers_change_and_saves_the_policy()
    {
        var admin = await chromium.NewPageAsync(height: 1400);
        await LoginAsync(admin, SiloFixture.AdminUser, SiloFixture.AdminPassword);
        await ChromiumFixture.WaitForTileAsync(admin, "tile-silos", v => v > 0);

        // The Orleans Dashboard is linked for admins and opens with the login's cookie.
        Assert.True(await admin.IsVisibleAsync("[data-testid=orleans-dashboard]"));
        var orleans = await admin.Context.NewPageAsync();
        var opened = await orleans.GotoAsync(silo.BaseAddress + "/dashboard/");
        Assert.Equal(200, opened!.Status);
        await orleans.CloseAsync();
        var nudgesBefore = await ChromiumFixture.WaitForTileAsync(admin, "tile-nudges-sent", _ => true);

        // A shopper fills a cart in another browser context: events flow, then the idle cart is nudged.
        var shop = await chromium.NewPageAsync();
        await shop.GotoAsync(silo.BaseAddress + "/");
        await ChromiumFixture.WaitConnectedAsync(shop);
        await shop.ClickAsync("[data-testid=add-RAIN-JACKET-M]");
        await shop.ClickAsync("[data-testid=add-WOOL-SOCKS-3]");
        await ChromiumFixture.WaitForTileAsync(admin, "tile-events-per-sec", v => v > 0);
        await ChromiumFixture.WaitForTileAsync(admin, "tile-nudges-sent", v => v > nudgesBefore, timeoutMs: 40_000);
        await admin.WaitForSelectorAsync("[data-testid=nudge-feed] tbody tr");
        Assert.True(await admin.Locator("#chart-events path").CountAsync() >= 2);
        await ChromiumFixture.ScreenshotAsync(admin, "admin-1-live");

        // Cart lookup finds the shopper's cart.
        var cartId = await shop.EvaluateAsync<string>("JSON.parse(localStorage.getItem('demo.cart')).cart_id");
        var shopperId = await shop.EvaluateAsync<string>("CartRecovery.shopperId()");
        await admin.FillAsync("[data-testid=lookup-cart]", cartId);
        await admin.FillAsync("[data-testid=lookup-shopper]", shopperId);
        await admin.ClickAsync("[data-testid=lookup-submit]");
        await admin.WaitForSelectorAsync("[data-testid=lookup-result] dl.facts");
        Assert.Contains("WOOL-SOCKS-3", await admin.TextContentAsync("[data-testid=lookup-result]"));

        // The recovery report renders.
        await admin.ClickAsync("[data-testid=report-submit]");
        await admin.WaitForSelectorAsync("[data-testid=report-carts-recovered]");

        // Policy editor: a bad value shows the server's reason, a good change is saved as a new version.
        await Assertions.Expect(admin.Locator("[data-testid=policy-text]")).ToHaveValueAsync(new Regex("\"version\""), new() { Timeout = 30_000 });
        var policy = JsonNode.Parse(await admin.InputValueAsync("[data-testid=policy-text]"))!.AsObject();
        var version = policy["version"]!.GetValue<long>();

        var bad = policy.DeepClone().AsObject();
        bad["risk_threshold"] = 5;
        await admin.FillAsync("[data-testid=policy-text]", bad.ToJsonString());
        await admin.ClickAsync("[data-testid=policy-save]");
        await admin.WaitForSelectorAsync("[data-testid=policy-status].error:has-text('risk_threshold')");

        var expireHours = policy["expire_after_hours"]!.GetValue<double>() + 1;
        policy["expire_after_hours"] = expireHours;
        await admin.FillAsync("[data-testid=policy-text]", policy.ToJsonString());
        await admin.ClickAsync("[data-testid=policy-save]");
        await admin.WaitForSelectorAsync("[data-testid=policy-status].ok");
        await ChromiumFixture.ScreenshotAsync(admin, "admin-2-policy-saved");

        var token = await silo.LoginAsync(SiloFixture.AdminUser, SiloFixture.AdminPassword);
        var (status, saved) = await silo.SendAsync(HttpMethod.Get, "v1/policy", token);
        Assert.Equal(200, status);
        Assert.Equal(expireHours, saved!.RootElement.GetProperty("expire_after_hours").GetDouble());
        Assert.True(saved.RootElement.GetProperty("version").GetInt64() > version);

        Assert.Empty(ChromiumFixture.ErrorsOf(shop));

        await shop.Context.CloseAsync();
        Assert.Empty(ChromiumFixture.ErrorsOf(admin));
        await admin.Context.CloseAsync();
    }

    [Fact]
    public async Task Viewer_sees_the_dashboard_but_cannot_change_the_policy()
    {
        var page = await chromium.NewPageAsync(height: 1400);
        await LoginAsync(page, SiloFixture.ViewerUser, SiloFixture.ViewerPassword);
        await ChromiumFixture.WaitForTileAsync(page, "tile-silos", v => v > 0);
        Assert.True(await page.IsHiddenAsync("[data-testid=orleans-dashboard]"));
        var refused = await page.Context.APIRequest.GetAsync(silo.BaseAddress + "/dashboard/");
        Assert.Equal(401, refused.Status);
        await Assertions.Expect(page.Locator("[data-testid=policy-text]")).ToHaveValueAsync(new Regex("\"version\""), new() { Timeout = 30_000 });
        Assert.True(await page.IsHiddenAsync("[data-testid=policy-save]"));
        Assert.False(await page.IsEditableAsync("[data-testid=policy-text]"));
        await ChromiumFixture.ScreenshotAsync(page, "admin-3-viewer");

        // The server enforces it too, whatever the page shows.
        var token = await silo.LoginAsync(SiloFixture.ViewerUser, SiloFixture.ViewerPassword);
        var (_, current) = await silo.SendAsync(HttpMethod.Get, "v1/policy", token);
        var version = current!.RootElement.GetProperty("version").GetInt64();
        var (status, _) = await silo.SendAsync(HttpMethod.Put, $"v1/policy?expected_version={version}", token, current.RootElement.GetRawText());
        Assert.Equal(403, status);
        Assert.Empty(ChromiumFixture.ErrorsOf(page));
        await page.Context.CloseAsync();
    }

    private async Task LoginAsync(IPage page, string user, string password)
    {
        await page.GotoAsync(silo.BaseAddress + "/admin/");
        await page.FillAsync("[data-testid=login-user]", user);
        await page.FillAsync("[data-testid=login-password]", password);
        await page.ClickAsync("[data-testid=login-submit]");
        await page.WaitForSelectorAsync("#live[data-state=live]");
    }
}
