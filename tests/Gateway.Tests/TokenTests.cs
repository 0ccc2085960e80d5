using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CartRecovery.Gateway.Auth;
using CartRecovery.Gateway.Hosting;
using CartRecovery.Gateway.Tests.Support;
using Microsoft.AspNetCore.SignalR.Client;

namespace CartRecovery.Gateway.Tests;

/// <summary>Tokens the gateway must refuse, on the hubs (negotiate and WebSocket upgrade) and the API.</summary>
public sealed class TokenTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    /// <summary>A token service with the app's key whose clock stands two days back: its tokens have expired.</summary>
    private static TokenService PastIssuer() => new(
        new AuthOptions { SigningKey = GatewayApp.SigningKey, ShopperTokenLifetime = TimeSpan.FromHours(1), AdminTokenLifetime = TimeSpan.FromHours(1) },
        development: false,
        new FixedTime(DateTimeOffset.UtcNow.AddDays(-2)));

    private static TokenService ForeignIssuer() => new(
        new AuthOptions { SigningKey = "some-other-deployment-signing-key-0123456789" },
        development: false,
        TimeProvider.System);

    private static string B64(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A token that names another shopper but keeps the original signature.</summary>
    private static string Tampered(string token, string shopperId)
    {
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(Pad(parts[1].Replace('-', '+').Replace('_', '/')))))!.AsObject();
        payload["shopper_id"] = shopperId;
        payload["sub"] = shopperId;
        return $"{parts[0]}.{B64(payload.ToJsonString())}.{parts[2]}";
    }

    private static string Pad(string s) => s + new string('=', (4 - (s.Length % 4)) % 4);

    private static string Unsigned(string shopperId)
    {
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        return $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64($"{{\"iss\":\"{TokenService.Issuer}\",\"aud\":\"{TokenService.ShopperAudience}\",\"sub\":\"{shopperId}\",\"shopper_id\":\"{shopperId}\",\"exp\":{exp}}}")}.";
    }

    /// <summary>Refused tokens by kind, each with the status the gateway must answer on the shopper hub.</summary>
    private async Task<List<(string Kind, string? Token, int Status)>> BadShopperTokensAsync()
    {
        var shopper = "tok-" + Guid.NewGuid().ToString("N");
        var good = await app.ShopperTokenAsync(shopper);
        return
        [
            ("none", null, 401),
            ("empty", "", 401),
            ("garbage", "not-a-token", 401),
            ("garbage jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", 401),
            ("expired", PastIssuer().IssueShopper(shopper).Token, 401),
            ("other key", ForeignIssuer().IssueShopper(shopper).Token, 401),
            ("tampered", Tampered(good, "someone-else"), 401),
            ("alg none", Unsigned(shopper), 401),
            ("admin token", await app.AdminTokenAsync(), 403),
        ];
    }

    [Fact]
    public async Task Shopper_hub_websocket_upgrade_refuses_bad_tokens()
    {
        foreach (var (kind, token, status) in await BadShopperTokensAsync())
        {
            // As the browser client sends it (query string) and as the .NET client does (Authorization header).
            foreach (var inQuery in new[] { true, false })
            {
                var refused = await HubClients.RefusedStatusAsync(HubClients.Build(app.BaseAddress, "/hubs/shopper", token, tokenInQuery: inQuery));
                Assert.True(status == refused, $"{kind} ({(inQuery ? "query" : "header")}): expected {status}, got {refused}");
            }
        }

        // The control: a proper shopper token connects, either way.
        await using var ok = await app.ConnectShopperAsync("tok-ok-" + Guid.NewGuid().ToString("N"));
        Assert.Equal(HubConnectionState.Connected, ok.State);
        await using var okInQuery = await HubClients.StartAsync(HubClients.Build(app.BaseAddress, "/hubs/shopper", await app.ShopperTokenAsync("tok-okq-" + Guid.NewGuid().ToString("N")), tokenInQuery: true));
        Assert.Equal(HubConnectionState.Connected, okInQuery.State);
    }

    [Fact]
    public async Task Shopper_hub_negotiate_refuses_bad_tokens()
    {
        foreach (var (kind, token, status) in await BadShopperTokensAsync())
        {
            var viaQuery = await app.SendAsync(HttpMethod.Post, "hubs/shopper/negotiate?negotiateVersion=1" + (token is null ? "" : "&access_token=" + Uri.EscapeDataString(token)));
            Assert.True(status == (int)viaQuery.Status, $"{kind} (query): expected {status}, got {viaQuery}");
            if (!string.IsNullOrEmpty(token))
            {
                var viaHeader = await app.SendAsync(HttpMethod.Post, "hubs/shopper/negotiate?negotiateVersion=1", bearer: token);
                Assert.True(status == (int)viaHeader.Status, $"{kind} (header): expected {status}, got {viaHeader}");
            }
        }

        var good = await app.SendAsync(HttpMethod.Post, "hubs/shopper/negotiate?negotiateVersion=1", bearer: await app.ShopperTokenAsync("tok-neg-" + Guid.NewGuid().ToString("N")));
        Assert.Equal(HttpStatusCode.OK, good.Status);
        Assert.True(good.Json.TryGetProperty("connectionToken", out _));
    }

    [Fact]
    public async Task Shopper_token_is_refused_on_admin_endpoints_and_the_admin_hub()
    {
        var shopperToken = await app.ShopperTokenAsync("tok-adm-" + Guid.NewGuid().ToString("N"));
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "v1/policy"),
            (HttpMethod.Get, "v1/carts/c-1?shopper_id=x"),
            (HttpMethod.Get, "v1/shoppers/x"),
            (HttpMethod.Get, "v1/reports/recovery"),
            (HttpMethod.Get, "v1/nudges/recent"),
        })
        {
            var response = await app.SendAsync(method, path, bearer: shopperToken);
            Assert.True(response.Status == HttpStatusCode.Forbidden, $"{method} {path}: {response}");
        }

        var put = await app.SendAsync(HttpMethod.Put, "v1/policy", bearer: shopperToken, json: (await app.GetAsync("v1/policy", await app.AdminTokenAsync())).Body);
        Assert.Equal(HttpStatusCode.Forbidden, put.Status);

        Assert.Equal(403, await HubClients.RefusedStatusAsync(HubClients.Build(app.BaseAddress, "/hubs/admin", shopperToken)));
        Assert.Equal(HttpStatusCode.Forbidden, (await app.SendAsync(HttpMethod.Post, "hubs/admin/negotiate?negotiateVersion=1", bearer: shopperToken)).Status);

        // The admin hub itself works with an admin token, and refuses anonymous and expired ones.
        await using var admin = await HubClients.ConnectAsync(app.BaseAddress, "/hubs/admin", await app.AdminTokenAsync());
        Assert.Equal(HubConnectionState.Connected, admin.State);
        Assert.Equal(401, await HubClients.RefusedStatusAsync(HubClients.Build(app.BaseAddress, "/hubs/admin", null)));
        Assert.Equal(401, await HubClients.RefusedStatusAsync(HubClients.Build(app.BaseAddress, "/hubs/admin", PastIssuer().IssueAdmin("admin", "admin").Token)));
    }

    [Fact]
    public async Task Admin_endpoints_refuse_missing_bad_and_expired_tokens()
    {
        foreach (var (kind, token) in new (string, string?)[]
        {
            ("none", null),
            ("garbage", "garbage"),
            ("expired", PastIssuer().IssueAdmin(GatewayApp.AdminUser, "admin").Token),
            ("other key", ForeignIssuer().IssueAdmin(GatewayApp.AdminUser, "admin").Token),
        })
        {
            var response = await app.GetAsync("v1/policy", token);
            Assert.True(response.Status == HttpStatusCode.Unauthorized, $"{kind}: {response}");
        }

        // Query-string tokens are for hubs only (browsers cannot set WebSocket headers).
        var viaQuery = await app.GetAsync("v1/policy?access_token=" + Uri.EscapeDataString(await app.AdminTokenAsync()));
        Assert.Equal(HttpStatusCode.Unauthorized, viaQuery.Status);
    }

    [Fact]
    public async Task A_token_signed_with_the_shopper_token_key_is_only_ever_a_shopper_token()
    {
        var admin = await app.AdminTokenAsync();
        var policy = await app.GetAsync("v1/policy", admin);
        var version = policy.Json.GetProperty("version").GetInt64();

        // Issue 15: the store's key, the admin audience first in a list, a role claim.
        var confused = Jwt.ShopperClaims("store-" + Guid.NewGuid().ToString("N"));
        confused["aud"] = new JsonArray(TokenService.AdminAudience, TokenService.ShopperAudience);
        confused["role"] = "admin";
        confused["sub"] = "admin";
        var token = Jwt.Sign(confused, GatewayApp.ShopperTokenKey);
        var put = await app.SendAsync(HttpMethod.Put, "v1/policy", bearer: token, json: policy.Body);
        Assert.True(put.Status == HttpStatusCode.Unauthorized, $"policy PUT with a store-signed token: {put}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("v1/policy", token)).Status);
        Assert.Equal(version, (await app.GetAsync("v1/policy", admin)).Json.GetProperty("version").GetInt64());

        // The admin audience alone: the store's key never signs anything but shopper tokens.
        var adminOnly = confused.DeepClone().AsObject();
        adminOnly["aud"] = TokenService.AdminAudience;
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("v1/policy", Jwt.Sign(adminOnly, GatewayApp.ShopperTokenKey))).Status);

        // The shopper audience with a role claim: a shopper token and nothing more.
        var shopperWithRole = confused.DeepClone().AsObject();
        shopperWithRole["aud"] = TokenService.ShopperAudience;
        var shopperToken = Jwt.Sign(shopperWithRole, GatewayApp.ShopperTokenKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.GetAsync("v1/policy", shopperToken)).Status);
        await using var hub = await HubClients.ConnectAsync(app.BaseAddress, "/hubs/shopper", shopperToken);
        Assert.Equal(HubConnectionState.Connected, hub.State);
    }

    [Fact]
    public async Task Tokens_outside_the_profile_are_refused_whoever_signed_them()
    {
        var shopper = "prof-" + Guid.NewGuid().ToString("N");
        JsonObject With(string claim, JsonNode? value)
        {
            var claims = Jwt.ShopperClaims(shopper);
            if (value is null)
            {
                claims.Remove(claim);
            }
            else
            {
                claims[claim] = value;
            }

            return claims;
        }

        foreach (var key in new[] { GatewayApp.SigningKey, GatewayApp.ShopperTokenKey })
        {
            var which = key == GatewayApp.SigningKey ? "signing key" : "shopper-token key";
            foreach (var (kind, token) in new[]
            {
                ("nbf in ten minutes", Jwt.Sign(With("nbf", Jwt.Now(600)), key)),
                ("several audiences", Jwt.Sign(With("aud", new JsonArray(TokenService.ShopperAudience, TokenService.AdminAudience)), key)),
                ("the shopper audience twice", Jwt.Sign(With("aud", new JsonArray(TokenService.ShopperAudience, TokenService.ShopperAudience)), key)),
                ("HS384", Jwt.Sign(Jwt.ShopperClaims(shopper), key, "HS384")),
                ("HS512", Jwt.Sign(Jwt.ShopperClaims(shopper), key, "HS512")),
                ("no exp", Jwt.Sign(With("exp", null), key)),
                ("expired", Jwt.Sign(With("exp", Jwt.Now(-5)), key)),
                ("another issuer", Jwt.Sign(With("iss", "someone-else"), key)),
                ("no issuer", Jwt.Sign(With("iss", null), key)),
                ("no shopper_id", Jwt.Sign(With("shopper_id", null), key)),
            })
            {
                var response = await app.SendAsync(HttpMethod.Post, "hubs/shopper/negotiate?negotiateVersion=1", bearer: token);
                Assert.True(response.Status == HttpStatusCode.Unauthorized, $"{kind}, {which}: {response}");
            }

            // The control: the same claims, in profile, pass.
            var good = await app.SendAsync(HttpMethod.Post, "hubs/shopper/negotiate?negotiateVersion=1", bearer: Jwt.Sign(Jwt.ShopperClaims(shopper), key));
            Assert.True(good.Status == HttpStatusCode.OK, $"{which}: {good}");
        }
    }

    [Fact]
    public async Task Hub_connections_close_when_their_token_expires()
    {
        var shortLived = new TokenService(
            new AuthOptions { SigningKey = GatewayApp.SigningKey, ShopperTokenLifetime = TimeSpan.FromSeconds(3), AdminTokenLifetime = TimeSpan.FromSeconds(3) },
            development: false,
            TimeProvider.System);
        var shopper = "exp-" + Guid.NewGuid().ToString("N");
        await using var expiring = await HubClients.ConnectAsync(app.BaseAddress, "/hubs/shopper", shortLived.IssueShopper(shopper).Token);
        await using var admin = await HubClients.ConnectAsync(app.BaseAddress, "/hubs/admin", shortLived.IssueAdmin(GatewayApp.AdminUser, "admin").Token);
        await using var lasting = await app.ConnectShopperAsync(shopper);
        Assert.Equal(0, (await expiring.InvokeAsync<JsonElement>("TrackBatch", new JsonArray())).GetProperty("received").GetInt32());

        var closed = await expiring.WaitClosedAsync(TimeSpan.FromSeconds(15));
        Assert.True(expiring.State != HubConnectionState.Connected, $"still open: {closed}");
        await admin.WaitClosedAsync(TimeSpan.FromSeconds(15));
        Assert.NotEqual(HubConnectionState.Connected, admin.State);

        // A connection whose token is still valid stays.
        Assert.Equal(HubConnectionState.Connected, lasting.State);
        Assert.Equal(JsonValueKind.Object, (await lasting.InvokeAsync<JsonElement>("TrackBatch", new JsonArray())).ValueKind);
    }
}
