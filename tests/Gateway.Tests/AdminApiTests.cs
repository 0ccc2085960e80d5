using System.Net;
using System.Text.Json.Nodes;
using CartRecovery.Gateway.Auth;
using CartRecovery.Gateway.Hosting;
using CartRecovery.Gateway.Tests.Support;
using Microsoft.AspNetCore.SignalR.Client;

namespace CartRecovery.Gateway.Tests;

/// <summary>Login, roles and the campaign policy API.</summary>
public sealed class AdminApiTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    private async Task<JsonObject> CurrentPolicyAsync(string token)
    {
        var response = await app.GetAsync("v1/policy", token);
        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());
        return JsonNode.Parse(response.Body)!.AsObject();
    }

    private Task<ApiResponse> PutPolicyAsync(string token, JsonNode policy, long? expectedVersion) =>
        app.SendAsync(HttpMethod.Put, "v1/policy" + (expectedVersion is { } v ? $"?expected_version={v}" : ""), bearer: token, json: policy.ToJsonString());

    [Fact]
    public async Task Login_with_a_wrong_password_or_unknown_user_is_401_and_a_missing_field_400()
    {
        var wrong = await app.LoginResponseAsync(GatewayApp.AdminUser, GatewayApp.AdminPassword + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.DoesNotContain("token", wrong.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.LoginResponseAsync("nobody", GatewayApp.AdminPassword)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.LoginResponseAsync(GatewayApp.ViewerUser, GatewayApp.AdminPassword)).Status);

        var missing = await app.SendAsync(HttpMethod.Post, "v1/auth/login", json: "{\"username\":\"admin\"}");
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Contains("password", missing.Error, StringComparison.Ordinal);

        var ok = await app.LoginResponseAsync(GatewayApp.AdminUser, GatewayApp.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.Equal("admin", ok.Json.GetProperty("role").GetString());
        Assert.True(ok.Json.GetProperty("expires_at").GetDateTimeOffset() > DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Viewer_can_read_but_not_change_the_policy()
    {
        var login = await app.LoginResponseAsync(GatewayApp.ViewerUser, GatewayApp.ViewerPassword);
        Assert.Equal(HttpStatusCode.OK, login.Status);
        Assert.Equal("viewer", login.Json.GetProperty("role").GetString());
        var viewer = login.Json.GetProperty("token").GetString()!;

        var policy = await CurrentPolicyAsync(viewer);
        var version = policy["version"]!.GetValue<long>();
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("v1/reports/recovery", viewer)).Status);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("v1/nudges/recent", viewer)).Status);

        policy["min_cart_value"] = 99;
        var put = await PutPolicyAsync(viewer, policy, version);
        Assert.Equal(HttpStatusCode.Forbidden, put.Status);
        var after = await CurrentPolicyAsync(viewer);
        Assert.Equal(version, after["version"]!.GetValue<long>());
        Assert.NotEqual(99, after["min_cart_value"]!.GetValue<double>());

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.SendAsync(HttpMethod.Put, $"v1/policy?expected_version={version}", json: policy.ToJsonString())).Status);
    }

    [Fact]
    public async Task Policy_updates_check_values_and_the_expected_version()
    {
        var admin = await app.AdminTokenAsync();
        var policy = await CurrentPolicyAsync(admin);
        var version = policy["version"]!.GetValue<long>();

        foreach (var (field, value) in new (string, JsonNode)[]
        {
            ("risk_threshold", 1.5),
            ("min_cart_value", -1),
            ("control_fraction", 0.9),
            ("frequency_cap_per_day", 1000),
        })
        {
            var bad = policy.DeepClone().AsObject();
            bad[field] = value;
            var response = await PutPolicyAsync(admin, bad, version);
            Assert.True(response.Status == HttpStatusCode.BadRequest, $"{field}={value.ToJsonString()}: {response}");
            Assert.StartsWith(field, response.Error, StringComparison.Ordinal);
        }

        var badZone = policy.DeepClone().AsObject();
        badZone["quiet_hours"] = new JsonObject { ["start_hour"] = 21, ["end_hour"] = 8, ["time_zone"] = "Mars/Olympus_Mons" };
        var zone = await PutPolicyAsync(admin, badZone, version);
        Assert.Equal(HttpStatusCode.BadRequest, zone.Status);
        Assert.StartsWith("quiet_hours.time_zone", zone.Error, StringComparison.Ordinal);

        // Nothing of the refused updates was stored.
        Assert.Equal(version, (await CurrentPolicyAsync(admin))["version"]!.GetValue<long>());

        var good = policy.DeepClone().AsObject();
        good["min_cart_value"] = 12.5;
        var updated = await PutPolicyAsync(admin, good, version);
        Assert.True(updated.Status == HttpStatusCode.OK, updated.ToString());
        Assert.Equal(version + 1, updated.Json.GetProperty("version").GetInt64());
        Assert.Equal(12.5, updated.Json.GetProperty("min_cart_value").GetDouble());

        // A second writer still holding the old version loses.
        var stale = policy.DeepClone().AsObject();
        stale["min_cart_value"] = 3;
        var conflict = await PutPolicyAsync(admin, stale, version);
        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
        Assert.Contains("version", conflict.Error, StringComparison.Ordinal);

        // Without the query parameter the body's version is the expectation.
        stale["version"] = version;
        Assert.Equal(HttpStatusCode.Conflict, (await PutPolicyAsync(admin, stale, null)).Status);

        var current = await CurrentPolicyAsync(admin);
        Assert.Equal(version + 1, current["version"]!.GetValue<long>());
        Assert.Equal(12.5, current["min_cart_value"]!.GetValue<double>());
    }

    [Fact]
    public async Task Policy_update_with_a_value_of_the_wrong_type_is_400_naming_the_field()
    {
        var admin = await app.AdminTokenAsync();
        var policy = await CurrentPolicyAsync(admin);
        var version = policy["version"]!.GetValue<long>();
        policy["risk_threshold"] = "high";

        var response = await PutPolicyAsync(admin, policy, version);
        Assert.True(response.Status == HttpStatusCode.BadRequest, response.ToString());
        Assert.True(response.ContentHeaders.ContentType?.MediaType == "application/json", "not an ApiError body: " + response.ToString()[..Math.Min(300, response.ToString().Length)]);
        Assert.StartsWith("risk_threshold", response.Error, StringComparison.Ordinal);
        Assert.Equal(version, (await CurrentPolicyAsync(admin))["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Cart_lookup_without_shopper_finds_a_unique_cart_and_refuses_an_ambiguous_one()
    {
        var admin = await app.AdminTokenAsync();
        var unique = "cart-u-" + Guid.NewGuid().ToString("N");
        var shared = "cart-s-" + Guid.NewGuid().ToString("N");
        var one = "lookup-1-" + Guid.NewGuid().ToString("N");
        var two = "lookup-2-" + Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.OK, (await app.PostEventsAsync(Events.Batch(
            Events.AddToCart(one, unique),
            Events.AddToCart(one, shared),
            Events.AddToCart(two, shared)))).Status);

        var found = await app.GetAsync($"v1/carts/{unique}", admin);
        Assert.True(found.Status == HttpStatusCode.OK, found.ToString());
        Assert.Equal(one, found.Json.GetProperty("shopper_id").GetString());

        var ambiguous = await app.GetAsync($"v1/carts/{shared}", admin);
        Assert.Equal(HttpStatusCode.Conflict, ambiguous.Status);
        Assert.StartsWith("cart_id", ambiguous.Error, StringComparison.Ordinal);
        Assert.Equal(two, (await app.GetAsync($"v1/carts/{shared}?shopper_id={two}", admin)).Json.GetProperty("shopper_id").GetString());

        Assert.Equal(HttpStatusCode.NotFound, (await app.GetAsync("v1/carts/no-such-cart", admin)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await app.GetAsync($"v1/carts/{unique}?shopper_id={two}", admin)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await app.GetAsync("v1/shoppers/no-such-shopper", admin)).Status);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    /// <summary>A shopper token with the app's key that expired <paramref name="ago"/> (it lived an hour).</summary>
    private static string ExpiredToken(string shopperId, TimeSpan ago) => new TokenService(
        new AuthOptions { SigningKey = GatewayApp.SigningKey, ShopperTokenLifetime = TimeSpan.FromHours(1) },
        development: false,
        new FixedTime(DateTimeOffset.UtcNow - ago - TimeSpan.FromHours(1))).IssueShopper(shopperId).Token;

    private Task<ApiResponse> RequestShopperTokenAsync(string? bearer = null, string body = "{}") =>
        app.SendAsync(HttpMethod.Post, "v1/shopper-token", bearer: bearer, json: body);

    [Fact]
    public async Task Shopper_token_endpoint_gives_new_visitors_a_fresh_id_and_renews_only_with_proof()
    {
        var anonymous = await RequestShopperTokenAsync();
        Assert.Equal(HttpStatusCode.OK, anonymous.Status);
        var visitor = anonymous.Json.GetProperty("shopper_id").GetString()!;
        var token = anonymous.Json.GetProperty("token").GetString()!;
        Assert.Matches("^v-[0-9a-f]{32}$", visitor);
        Assert.True(anonymous.Json.GetProperty("expires_at").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.NotEqual(visitor, (await RequestShopperTokenAsync()).Json.GetProperty("shopper_id").GetString());

        // Naming a visitor id proves nothing: not someone else's, not one never issued.
        foreach (var named in new[] { visitor, "v-" + Guid.NewGuid().ToString("N"), "customer-42" })
        {
            var claimed = await RequestShopperTokenAsync(body: new JsonObject { ["shopper_id"] = named }.ToJsonString());
            Assert.True(claimed.Status == HttpStatusCode.Unauthorized, $"{named}: {claimed}");
            Assert.StartsWith("authorization", claimed.Error, StringComparison.Ordinal);
        }

        // Renewal with the current token, or one expired within the renewal window: the same visitor.
        foreach (var (kind, proof) in new[] { ("current", token), ("expired an hour ago", ExpiredToken(visitor, TimeSpan.FromHours(1))) })
        {
            var renewed = await RequestShopperTokenAsync(bearer: proof);
            Assert.True(renewed.Status == HttpStatusCode.OK, $"{kind}: {renewed}");
            Assert.Equal(visitor, renewed.Json.GetProperty("shopper_id").GetString());
            await using var hub = await HubClients.ConnectAsync(app.BaseAddress, "/hubs/shopper", renewed.Json.GetProperty("token").GetString());
            Assert.Equal(HubConnectionState.Connected, hub.State);
        }

        Assert.Equal(visitor, (await RequestShopperTokenAsync(bearer: token, body: $"{{\"shopper_id\":\"{visitor}\"}}")).Json.GetProperty("shopper_id").GetString());

        // Not renewed: expired too long ago, signed elsewhere or by a store backend (it renews its own), not a shopper token.
        var store = Jwt.Sign(Jwt.ShopperClaims(visitor), GatewayApp.ShopperTokenKey);
        foreach (var (kind, proof) in new[]
        {
            ("expired two days ago", ExpiredToken(visitor, TimeSpan.FromDays(2))),
            ("other key", Jwt.Sign(Jwt.ShopperClaims(visitor), "some-other-deployment-signing-key-0123456789")),
            ("store-minted", store),
            ("admin token", await app.AdminTokenAsync()),
            ("garbage", "garbage"),
        })
        {
            var refused = await RequestShopperTokenAsync(bearer: proof);
            Assert.True(refused.Status == HttpStatusCode.Unauthorized, $"{kind}: {refused}");
            Assert.StartsWith("authorization", refused.Error, StringComparison.Ordinal);
        }

        // A token renews its own shopper only.
        var other = await RequestShopperTokenAsync(bearer: token, body: new JsonObject { ["shopper_id"] = "v-" + Guid.NewGuid().ToString("N") }.ToJsonString());
        Assert.Equal(HttpStatusCode.Forbidden, other.Status);
        Assert.StartsWith("shopper_id", other.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recovery_report_checks_its_time_range()
    {
        var admin = await app.AdminTokenAsync();
        var badFrom = await app.GetAsync("v1/reports/recovery?from=last-tuesday", admin);
        Assert.Equal(HttpStatusCode.BadRequest, badFrom.Status);
        Assert.StartsWith("from:", badFrom.Error, StringComparison.Ordinal);

        var badTo = await app.GetAsync("v1/reports/recovery?to=soon", admin);
        Assert.Equal(HttpStatusCode.BadRequest, badTo.Status);
        Assert.StartsWith("to:", badTo.Error, StringComparison.Ordinal);

        var now = DateTimeOffset.UtcNow;
        var reversed = await app.GetAsync($"v1/reports/recovery?from={Uri.EscapeDataString(now.ToString("O"))}&to={Uri.EscapeDataString(now.AddDays(-1).ToString("O"))}", admin);
        Assert.Equal(HttpStatusCode.BadRequest, reversed.Status);
        Assert.StartsWith("from:", reversed.Error, StringComparison.Ordinal);

        var ok = await app.GetAsync($"v1/reports/recovery?from={Uri.EscapeDataString(now.AddDays(-1).ToString("O"))}&to={Uri.EscapeDataString(now.AddDays(1).ToString("O"))}", admin);
        Assert.True(ok.Status == HttpStatusCode.OK, ok.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("v1/reports/recovery?from=last-tuesday")).Status);
    }
}
