using System.Text.Json;
using CartRecovery.Cluster.Tests.Support;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Abstractions;

namespace CartRecovery.Cluster.Tests;

/// <summary>Nudges reach a shopper's browser whichever gateway it is connected to (SignalR's Redis backplane).</summary>
public sealed class NudgeAcrossGatewaysTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_shopper_on_gateway_B_gets_the_nudge_a_silo_decided_for_events_gateway_A_took()
    {
        await using var cluster = await ClusterHarness.StartAsync(output);
        await Task.WhenAll(cluster.StartSiloAsync("silo-1"), cluster.StartSiloAsync("silo-2"));
        var gateways = await Task.WhenAll(cluster.StartGatewayAsync("gateway-a"), cluster.StartGatewayAsync("gateway-b"));

        var (shopper, token) = await cluster.VisitorAsync(gateways[1]);
        var nudges = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var browser = new HubConnectionBuilder()
            .WithUrl(gateways[1].BaseAddress + "/hubs/shopper", o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .Build();
        browser.On<JsonElement>("nudge", n => nudges.TrySetResult(n));
        await browser.StartAsync();

        var add = new[]
        {
            new Dictionary<string, object>
            {
                ["event_id"] = "a1", ["type"] = "add_to_cart", ["shopper_id"] = shopper, ["session_id"] = "s1", ["cart_id"] = "c1",
                ["occurred_at"] = DateTimeOffset.UtcNow.ToString("O"),
                ["item"] = new Dictionary<string, object> { ["sku"] = "A", ["price"] = 30, ["quantity"] = 1 },
            },
        };
        await cluster.IngestAsync(gateways[0], JsonSerializer.Serialize(add));

        var nudge = await nudges.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal($"{shopper}/c1:onsite", nudge.GetProperty("nudge_id").GetString());
        Assert.Equal("onsite", nudge.GetProperty("channel").GetString());
    }
}
