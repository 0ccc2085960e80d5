using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using CartRecovery.Gateway.Auth;
using CartRecovery.Gateway.Hosting;
using CartRecovery.Gateway.Tests.Support;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Options;

namespace CartRecovery.Gateway.Tests;

/// <summary>
/// Limits per client address (behind a trusted proxy: X-Forwarded-For names the client), per user
/// and per shopper: visitor tokens, logins, hub connections.
/// </summary>
public sealed class AbuseLimitTests(ProxiedGatewayApp app) : IClassFixture<ProxiedGatewayApp>
{
    private LimitsOptions Limits => app.Service<IOptions<LimitsOptions>>().Value;

    private Task<ApiResponse> NewVisitorAsync(string ip) =>
        app.SendAsync(HttpMethod.Post, "v1/shopper-token", json: "{}", headers: ProxiedGatewayApp.From(ip));

    private Task<ApiResponse> LoginAsync(string ip, string user, string password) =>
        app.SendAsync(HttpMethod.Post, "v1/auth/login", json: new JsonObject { ["username"] = user, ["password"] = password }.ToJsonString(), headers: ProxiedGatewayApp.From(ip));

    private HubConnection Connection(string ip, string shopperId) =>
        HubClients.Build(app.BaseAddress, "/hubs/shopper", app.Service<TokenService>().IssueShopper(shopperId).Token, ProxiedGatewayApp.From(ip));

    private Task<HubConnection> ConnectAsync(string ip, string shopperId) => HubClients.StartAsync(Connection(ip, shopperId));

    [Fact]
    public async Task New_visitor_tokens_are_limited_per_client_address()
    {
        // The budget's worth pass (a few more at most: the bucket refills smoothly), then 429.
        var ip = ProxiedGatewayApp.NewClientIp();
        var budget = Limits.VisitorTokensPerIpPerMinute;
        string? token = null;
        ApiResponse? refused = null;
        for (var i = 0; i < budget + 3 && refused is null; i++)
        {
            var issued = await NewVisitorAsync(ip);
            if (issued.Status == HttpStatusCode.TooManyRequests)
            {
                Assert.True(i >= budget, $"refused after {i} visitors; the budget is {budget}");
                refused = issued;
                break;
            }

            Assert.True(issued.Status == HttpStatusCode.OK, $"visitor {i + 1}: {issued}");
            token = issued.Json.GetProperty("token").GetString();
        }

        Assert.NotNull(refused);
        Assert.NotNull(refused.Headers.RetryAfter);

        // Renewal is not a new identity: not counted. Another client has its own budget.
        var renewed = await app.SendAsync(HttpMethod.Post, "v1/shopper-token", bearer: token, json: "{}", headers: ProxiedGatewayApp.From(ip));
        Assert.True(renewed.Status == HttpStatusCode.OK, renewed.ToString());
        Assert.Equal(HttpStatusCode.OK, (await NewVisitorAsync(ProxiedGatewayApp.NewClientIp())).Status);
    }

    /// <summary>
    /// Attempts until one is throttled: the budget's worth pass, and a few more at most (the bucket
    /// refills smoothly while password hashing takes its time). The throttled answer is returned.
    /// </summary>
    private static async Task<ApiResponse> ExhaustAsync(int budget, Func<int, Task<ApiResponse>> attempt)
    {
        for (var i = 0; i < budget + 5; i++)
        {
            var response = await attempt(i);
            if (response.Status == HttpStatusCode.TooManyRequests)
            {
                Assert.True(i >= budget, $"throttled after {i} attempts; the budget is {budget}");
                Assert.NotNull(response.Headers.RetryAfter);
                return response;
            }

            Assert.True(response.Status == HttpStatusCode.Unauthorized, $"attempt {i + 1}: {response}");
        }

        throw new Xunit.Sdk.XunitException($"{budget + 5} attempts and none throttled; the budget is {budget}");
    }

    [Fact]
    public async Task Login_is_throttled_per_user_and_per_client_address()
    {
        // One user guessed at from many addresses: then even the right password waits.
        await ExhaustAsync(Limits.LoginAttemptsPerUserPerMinute, i => LoginAsync(ProxiedGatewayApp.NewClientIp(), GatewayApp.ViewerUser, "guess-" + i));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await LoginAsync(ProxiedGatewayApp.NewClientIp(), GatewayApp.ViewerUser, GatewayApp.ViewerPassword)).Status);

        // One address trying many names.
        var ip = ProxiedGatewayApp.NewClientIp();
        await ExhaustAsync(Limits.LoginAttemptsPerIpPerMinute, i => LoginAsync(ip, "nobody-" + i, "guess"));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await LoginAsync(ip, GatewayApp.AdminUser, GatewayApp.AdminPassword)).Status);

        // Everyone else is unaffected.
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(ProxiedGatewayApp.NewClientIp(), GatewayApp.AdminUser, GatewayApp.AdminPassword)).Status);
    }

    [Fact]
    public void An_unknown_user_costs_the_same_password_hashing_as_a_known_one()
    {
        var users = new UserDirectory(new AuthOptions { AdminUser = "admin", AdminPassword = "a-long-enough-password" }, development: false);
        users.Authenticate("admin", "warm-up");
        var known = new List<double>();
        var unknown = new List<double>();
        for (var i = 0; i < 7; i++)
        {
            var started = Stopwatch.GetTimestamp();
            Assert.Null(users.Authenticate("admin", "wrong-" + i));
            known.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            started = Stopwatch.GetTimestamp();
            Assert.Null(users.Authenticate("nobody-" + i, "wrong-" + i));
            unknown.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        Assert.True(Median(unknown) > Median(known) * 0.5, $"unknown user {Median(unknown):0.00} ms, known user {Median(known):0.00} ms");
    }

    [Fact]
    public async Task Hub_connections_are_capped_per_shopper_and_per_client_address()
    {
        var open = new List<HubConnection>();
        try
        {
            // Per shopper, whatever the address.
            var shopper = "cap-" + Guid.NewGuid().ToString("N");
            for (var i = 0; i < ProxiedGatewayApp.HubConnectionsPerShopper; i++)
            {
                open.Add(await ConnectAsync(ProxiedGatewayApp.NewClientIp(), shopper));
            }

            Assert.Equal(429, await HubClients.RefusedStatusAsync(Connection(ProxiedGatewayApp.NewClientIp(), shopper)));

            // A closed connection frees its place.
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            open.Add(await EventuallyConnectAsync(ProxiedGatewayApp.NewClientIp(), shopper));

            // Per address, whatever the shopper.
            var ip = ProxiedGatewayApp.NewClientIp();
            for (var i = 0; i < ProxiedGatewayApp.HubConnectionsPerIp; i++)
            {
                open.Add(await ConnectAsync(ip, "cap-ip-" + Guid.NewGuid().ToString("N")));
            }

            Assert.Equal(429, await HubClients.RefusedStatusAsync(Connection(ip, "cap-ip-" + Guid.NewGuid().ToString("N"))));
            foreach (var hub in open)
            {
                Assert.Equal(0, (await hub.InvokeAsync<JsonElement>("TrackBatch", new JsonArray())).GetProperty("received").GetInt32());
            }
        }
        finally
        {
            foreach (var hub in open)
            {
                await hub.DisposeAsync();
            }
        }
    }

    /// <summary>The server notices a closed connection a moment after the client closed it.</summary>
    private async Task<HubConnection> EventuallyConnectAsync(string ip, string shopperId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                return await ConnectAsync(ip, shopperId);
            }
            catch (WebSocketException e) when (HubClients.RefusedStatus(e) == 429 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
