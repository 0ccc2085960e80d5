using System.Net;
using System.Security.Cryptography;
using System.Text;
using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Nudges;
using CartRecovery.Grains.Common;
using CartRecovery.Grains.Policy;

namespace CartRecovery.Grains.Tests;

public sealed class PolicyTests
{
    private static async Task<CartState> IdleCartAsync(DomainHost host, string shopper, double value, bool connect = true)
    {
        if (connect)
        {
            await host.Grains.GetGrain<IShopperGrain>(shopper).Connect();
        }

        await host.IngestAsync(host.Add(shopper, 0, "A", value));
        await host.AdvanceAsync(61);
        return await host.CartAsync(shopper);
    }

    [Fact]
    public async Task Carts_below_the_minimum_value_are_not_nudged()
    {
        await using var host = await DomainHost.StartAsync(new() { ["Policy:MinCartValue"] = "50" });
        var small = await IdleCartAsync(host, "small", 20);
        Assert.Empty(small.Nudges);
        Assert.Contains("below minimum", small.LastDecision);
        var big = await IdleCartAsync(host, "big", 80);
        Assert.True(big.Nudges.Count == 1, big.LastDecision + " / " + big.Stage);
    }

    [Fact]
    public async Task Carts_below_the_risk_threshold_are_not_nudged()
    {
        await using var host = await DomainHost.StartAsync(new() { ["Policy:RiskThreshold"] = "0.999" });
        var cart = await IdleCartAsync(host, "s1", 40);
        Assert.Empty(cart.Nudges);
        Assert.Contains("risk", cart.LastDecision);
        Assert.NotNull(cart.Risk);
        Assert.Equal(Scoring.FeatureSet.Count, cart.ScoredFeatures!.Length);
    }

    [Fact]
    public async Task The_incentive_tier_follows_the_cart_value()
    {
        await using var host = await DomainHost.StartAsync();
        Assert.Equal("reminder", (await IdleCartAsync(host, "low", 20)).Nudges[0].Variant);
        Assert.Equal("free_shipping", (await IdleCartAsync(host, "mid", 80)).Nudges[0].Variant);
        Assert.Equal("percent_off_10", (await IdleCartAsync(host, "high", 200)).Nudges[0].Variant);
    }

    [Fact]
    public async Task The_frequency_cap_limits_nudges_per_shopper_per_day()
    {
        await using var host = await DomainHost.StartAsync(new() { ["Policy:FrequencyCapPerDay"] = "1" });
        await host.Grains.GetGrain<IShopperGrain>("s1").Connect();
        await host.IngestAsync(host.Add("s1", 0, "A", 30, cart: "c1"), host.Add("s1", 0, "B", 30, cart: "c2"));
        await host.AdvanceAsync(61);
        var carts = new[] { await host.CartAsync("s1", "c1"), await host.CartAsync("s1", "c2") };
        Assert.Equal(1, carts.Sum(c => c.Nudges.Count));
        Assert.Contains(carts, c => c.LastDecision!.Contains("frequency cap"));
    }

    [Fact]
    public async Task The_control_group_is_never_nudged_and_is_the_configured_share()
    {
        await using var host = await DomainHost.StartAsync(new() { ["Policy:ControlFraction"] = "0.3" });
        var shoppers = Enumerable.Range(0, 200).Select(i => "shopper" + i).ToArray();
        foreach (var s in shoppers)
        {
            await host.Grains.GetGrain<IShopperGrain>(s).Connect();
            await host.IngestAsync(host.Add(s, 0, "A", 40));
        }

        await host.AdvanceAsync(61);
        var carts = await Task.WhenAll(shoppers.Select(s => host.CartAsync(s)));
        var control = carts.Where(c => c.Group == "control").ToList();
        Assert.All(control, c => Assert.Empty(c.Nudges));
        Assert.All(carts.Where(c => c.Group == "treatment"), c => Assert.Single(c.Nudges));
        Assert.InRange(control.Count, 40, 80);

        // The assignment is a stable function of the shopper id, not of arrival order.
        Assert.All(carts, c => Assert.Equal(KeyHash.Fraction(c.ShopperId, "control-v1") < 0.3, c.Group == "control"));
    }

    [Fact]
    public void Quiet_hours_are_evaluated_in_the_policy_time_zone()
    {
        var policy = new CampaignPolicy { QuietHours = new QuietHours { StartHour = 21, EndHour = 8, TimeZone = "America/New_York" } };
        Assert.True(PolicyValidator.InQuietHours(policy, new DateTimeOffset(2026, 1, 15, 3, 0, 0, TimeSpan.Zero)));
        Assert.False(PolicyValidator.InQuietHours(policy, new DateTimeOffset(2026, 1, 15, 15, 0, 0, TimeSpan.Zero)));
        var end = PolicyValidator.QuietHoursEnd(policy, new DateTimeOffset(2026, 1, 15, 3, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 1, 15, 13, 0, 0, TimeSpan.Zero), end);
    }

    [Theory]
    [InlineData("risk_threshold")]
    [InlineData("control_fraction")]
    [InlineData("quiet_hours.time_zone")]
    [InlineData("incentives[0].message")]
    public async Task Invalid_policies_are_refused_naming_the_field_and_nothing_changes(string field)
    {
        await using var host = await DomainHost.StartAsync();
        var grain = host.Grains.GetGrain<IPolicyGrain>(PolicyCache.GrainKey);
        var policy = await grain.Get();
        switch (field)
        {
            case "risk_threshold":
                policy.RiskThreshold = 1.5;
                break;
            case "control_fraction":
                policy.ControlFraction = 0.9;
                break;
            case "quiet_hours.time_zone":
                policy.QuietHours!.TimeZone = "Mars/Olympus";
                break;
            default:
                policy.Incentives[0].Message = "";
                break;
        }

        var error = await Assert.ThrowsAsync<ArgumentException>(() => grain.Update(policy, policy.Version));
        Assert.StartsWith(field, error.Message);
        Assert.Equal(0, (await grain.Get()).Version);
    }

    [Fact]
    public async Task Policy_edits_are_versioned_and_reach_the_grains()
    {
        await using var host = await DomainHost.StartAsync();
        var grain = host.Grains.GetGrain<IPolicyGrain>(PolicyCache.GrainKey);
        var policy = await grain.Get();
        policy.MinCartValue = 500;
        var saved = await grain.Update(policy, 0);
        Assert.Equal(1, saved.Version);
        await Assert.ThrowsAsync<PolicyVersionConflictException>(() => grain.Update(policy, 0));
        var cart = await IdleCartAsync(host, "s1", 100);
        Assert.Contains("below minimum 500", cart.LastDecision);
    }

    [Fact]
    public async Task Off_site_nudges_need_consent_and_go_out_as_signed_webhooks_with_retries()
    {
        using var receiver = new WebhookReceiver(failFirst: 1);
        await using var host = await DomainHost.StartAsync(new()
        {
            ["Webhook:Url"] = receiver.Url,
            ["Webhook:Secret"] = "s3cret-for-tests",
            ["Webhook:RetryDelay"] = "00:00:00.050",
        });
        await host.IngestAsync(host.Add("no-consent", 0, "A", 40));
        await host.IngestAsync(host.Event(EventTypes.Consent, "yes", 0, e => e.Consent = new ConsentInfo { Marketing = true }), host.Add("yes", 0, "A", 40));
        await host.AdvanceAsync(601);

        var refused = await host.CartAsync("no-consent");
        Assert.Empty(refused.Nudges);
        Assert.Contains("consent", refused.LastDecision);

        var body = await receiver.Delivered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, receiver.Attempts);
        var expected = WebhookSender.Sign("s3cret-for-tests", receiver.Timestamp, body);
        Assert.Equal(expected, receiver.Signature);
        Assert.Contains("\"yes/c-yes-s1:abandoned\"", Encoding.UTF8.GetString(body));
        CartState cart;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        do
        {
            cart = await host.CartAsync("yes");
        }
        while (cart.Nudges.FirstOrDefault()?.Outcome != "delivered" && DateTime.UtcNow < deadline && await Task.Delay(20).ContinueWith(_ => true));

        var record = Assert.Single(cart.Nudges);
        Assert.Equal(NudgeChannels.Webhook, record.Channel);
        Assert.Equal("delivered", record.Outcome);
        Assert.Equal(2, record.Attempts);
    }

    [Theory]
    [InlineData("incentives", "incentives")]
    [InlineData("incentives[1]", "incentive tier")]
    [InlineData("quiet_hours.time_zone", "null time zone")]
    [InlineData("incentives[0].percent_off", "discount without a code")]
    [InlineData("incentives[1].code", "code with a line break")]
    [InlineData("incentives[0].message", "message with NUL")]
    public async Task Nulls_and_unusable_values_are_refused_naming_the_field_never_failed(string field, string what)
    {
        await using var host = await DomainHost.StartAsync();
        var grain = host.Grains.GetGrain<IPolicyGrain>(PolicyCache.GrainKey);
        var policy = await grain.Get();
        switch (what)
        {
            case "incentives":
                policy.Incentives = null!;
                break;
            case "incentive tier":
                policy.Incentives[1] = null!;
                break;
            case "null time zone":
                policy.QuietHours!.TimeZone = null!;
                break;
            case "discount without a code":
                policy.Incentives[0].PercentOff = 5;
                break;
            case "code with a line break":
                policy.Incentives[1].Code = "FREE\r\nSHIP";
                break;
            default:
                policy.Incentives[0].Message = "hello\0";
                break;
        }

        var error = await Assert.ThrowsAsync<ArgumentException>(() => grain.Update(policy, policy.Version));
        Assert.StartsWith(field, error.Message);
        Assert.Null(PolicyValidator.Validate(await grain.Get()));
    }

    [Fact]
    public async Task The_tiers_percent_off_goes_out_with_its_code_in_the_nudge()
    {
        await using var host = await DomainHost.StartAsync();
        var cart = await IdleCartAsync(host, "high", 200);
        var pending = Assert.Single(await host.Grains.GetGrain<IShopperGrain>("high").Connect());
        var json = System.Text.Json.JsonSerializer.Serialize(pending, Json.GrainsJsonContext.Default.NudgeMessage);
        Assert.Contains("\"incentive_code\":\"SAVE10\"", json);
        Assert.Contains("\"percent_off\":10", json);
        Assert.Contains("\"percent_off\":10", System.Text.Json.JsonSerializer.Serialize(cart.Nudges[0], Json.GrainsJsonContext.Default.NudgeRecord));

        var low = Assert.Single(await host.Grains.GetGrain<IShopperGrain>((await IdleCartAsync(host, "low", 20)).ShopperId).Connect());
        Assert.DoesNotContain("percent_off", System.Text.Json.JsonSerializer.Serialize(low, Json.GrainsJsonContext.Default.NudgeMessage));
    }
}
