using System.Net;
using CartRecovery.Gateway.Hosting;
using CartRecovery.Gateway.Tests.Support;
using Microsoft.Extensions.Options;

namespace CartRecovery.Gateway.Tests;

/// <summary>What every answer carries (security headers, correlation id), CORS, and the health endpoints.</summary>
public sealed class HttpSurfaceTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    private const string Correlation = "X-Correlation-Id";

    private static string? Header(ApiResponse response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : response.ContentHeaders.TryGetValues(name, out var content) ? string.Join(",", content) : null;

    [Fact]
    public async Task Every_answer_has_security_headers_and_a_correlation_id()
    {
        var answers = new Dictionary<string, ApiResponse>
        {
            ["health"] = await app.GetAsync("health/live"),
            ["401"] = await app.GetAsync("v1/policy"),
            ["404"] = await app.GetAsync("v1/no-such-thing"),
            ["400"] = await app.SendAsync(HttpMethod.Post, "v1/events", json: "{", headers: new Dictionary<string, string> { ["X-Api-Key"] = GatewayApp.IngestKey }),
            ["admin 200"] = await app.GetAsync("v1/policy", await app.AdminTokenAsync()),
        };

        var ids = new HashSet<string>();
        foreach (var (what, response) in answers)
        {
            Assert.True(Header(response, "X-Content-Type-Options") == "nosniff", $"{what}: X-Content-Type-Options");
            Assert.True(Header(response, "X-Frame-Options") == "DENY", $"{what}: X-Frame-Options");
            Assert.True(Header(response, "Referrer-Policy") == "no-referrer", $"{what}: Referrer-Policy");
            Assert.Contains("frame-ancestors 'none'", Header(response, "Content-Security-Policy") ?? "", StringComparison.Ordinal);
            Assert.Contains("default-src 'self'", Header(response, "Content-Security-Policy") ?? "", StringComparison.Ordinal);
            Assert.Null(Header(response, "Server"));
            var id = Header(response, Correlation);
            Assert.False(string.IsNullOrEmpty(id), $"{what}: no {Correlation}");
            Assert.True(ids.Add(id!), $"{what}: correlation id {id} reused");
        }
    }

    [Fact]
    public async Task A_sane_correlation_id_is_kept_and_an_unsafe_one_replaced()
    {
        var sane = "order-42_retry.1";
        var kept = await app.SendAsync(HttpMethod.Get, "health/live", headers: new Dictionary<string, string> { [Correlation] = sane });
        Assert.Equal(sane, Header(kept, Correlation));

        foreach (var unsafeId in new[] { "<script>alert(1)</script>", new string('a', 65), "two words" })
        {
            var replaced = await app.SendAsync(HttpMethod.Get, "health/live", headers: new Dictionary<string, string> { [Correlation] = unsafeId });
            var id = Header(replaced, Correlation);
            Assert.False(string.IsNullOrEmpty(id));
            Assert.NotEqual(unsafeId, id);
            Assert.Matches("^[A-Za-z0-9_.-]{1,64}$", id!);
        }
    }

    private async Task<HttpResponseMessage> PreflightAsync(string path, string origin, string method, string headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", headers);
        return await app.Http.SendAsync(request);
    }

    [Fact]
    public async Task Cors_preflight_allows_the_configured_origin_only()
    {
        foreach (var (path, method, headers) in new[]
        {
            ("v1/events", "POST", "content-type,authorization"),
            ("hubs/shopper/negotiate?negotiateVersion=1", "POST", "authorization,x-requested-with"),
        })
        {
            using (var allowed = await PreflightAsync(path, GatewayApp.AllowedOrigin, method, headers))
            {
                Assert.True(allowed.IsSuccessStatusCode, $"{path}: preflight {(int)allowed.StatusCode}");
                Assert.Equal(GatewayApp.AllowedOrigin, Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));
                Assert.Contains(method, string.Join(",", allowed.Headers.GetValues("Access-Control-Allow-Methods")), StringComparison.Ordinal);
            }

            foreach (var foreign in new[] { "https://evil.example", "https://shop.example.evil.example", "http://shop.example" })
            {
                using var refused = await PreflightAsync(path, foreign, method, headers);
                Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"), $"{path}: {foreign} was allowed");
            }
        }

        // A simple (non-preflighted) request: the header is echoed for the allowed origin only.
        using var get = new HttpRequestMessage(HttpMethod.Get, "health/live");
        get.Headers.Add("Origin", GatewayApp.AllowedOrigin);
        using var simple = await app.Http.SendAsync(get);
        Assert.Equal(GatewayApp.AllowedOrigin, Assert.Single(simple.Headers.GetValues("Access-Control-Allow-Origin")));
        using var getForeign = new HttpRequestMessage(HttpMethod.Get, "health/live");
        getForeign.Headers.Add("Origin", "https://evil.example");
        using var foreignSimple = await app.Http.SendAsync(getForeign);
        Assert.False(foreignSimple.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Forwarded_headers_from_an_untrusted_peer_are_ignored()
    {
        // No Http:TrustedProxies here: whatever X-Forwarded-For says, the client is the socket's
        // peer, so naming a new address each time does not buy a new visitor-token budget.
        var limit = app.Service<IOptions<LimitsOptions>>().Value.VisitorTokensPerIpPerMinute;
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < limit + 3 && !statuses.Contains(HttpStatusCode.TooManyRequests); i++)
        {
            var response = await app.SendAsync(HttpMethod.Post, "v1/shopper-token", json: "{}", headers: new Dictionary<string, string>
            {
                ["X-Forwarded-For"] = $"198.51.100.{i + 1}",
                ["X-Forwarded-Proto"] = "https",
            });
            statuses.Add(response.Status);
        }

        // The budget's worth pass (a few more at most: the bucket refills smoothly), then 429.
        var passed = statuses.Count(s => s == HttpStatusCode.OK);
        Assert.True(statuses[^1] == HttpStatusCode.TooManyRequests && passed >= limit, string.Join(",", statuses.Select(s => (int)s)));
    }

    [Fact]
    public async Task Health_endpoints_answer_with_their_checks()
    {
        var live = await app.GetAsync("health/live");
        Assert.Equal(HttpStatusCode.OK, live.Status);
        Assert.Equal("live", live.Json.GetProperty("status").GetString());

        var ready = await app.GetAsync("health/ready");
        Assert.True(ready.Status == HttpStatusCode.OK, ready.ToString());
        Assert.Equal("ready", ready.Json.GetProperty("status").GetString());
        var checks = ready.Json.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c);
        Assert.Contains("storage", checks.Keys);
        Assert.Contains("silo", checks.Keys);
        Assert.All(checks.Values, c =>
        {
            Assert.True(c.GetProperty("ok").GetBoolean());
            Assert.False(string.IsNullOrWhiteSpace(c.GetProperty("detail").GetString()));
        });
    }
}
