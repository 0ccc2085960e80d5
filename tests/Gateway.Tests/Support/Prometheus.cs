using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using CartRecovery.TestSupport;
using Microsoft.AspNetCore.SignalR.Client;

namespace CartRecovery.Gateway.Tests.Support;

/// <summary>One sample line of a Prometheus text scrape.</summary>
public sealed record PromSample(string Name, string Labels, double Value)
{
    public string Series => Name + "{" + Labels + "}";
}

/// <summary>Scraping <c>/metrics</c>, reading the text format, and promtool.</summary>
public static partial class Prometheus
{
    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$")]
    private static partial Regex SampleLine();

    public static async Task<string> ScrapeAsync(GatewayApp app)
    {
        var response = await app.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("text/plain", response.ContentHeaders.ContentType?.MediaType);
        return response.Body;
    }

    public static List<PromSample> Samples(string text) =>
        text.Split('\n')
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l =>
            {
                var m = SampleLine().Match(l);
                Assert.True(m.Success, "not a sample line: " + l);
                var value = m.Groups["value"].Value switch
                {
                    "+Inf" => double.PositiveInfinity,
                    "-Inf" => double.NegativeInfinity,
                    var v => double.Parse(v, CultureInfo.InvariantCulture),
                };
                return new PromSample(m.Groups["name"].Value, m.Groups["labels"].Value, value);
            })
            .ToList();

    /// <summary>Sum of a family's samples whose labels contain <paramref name="labelPart"/>.</summary>
    public static double Sum(this List<PromSample> samples, string name, string? labelPart = null) =>
        samples.Where(s => s.Name == name && (labelPart is null || s.Labels.Contains(labelPart, StringComparison.Ordinal))).Sum(s => s.Value);

    public static List<string> Duplicates(this List<PromSample> samples) =>
        samples.GroupBy(s => s.Series).Where(g => g.Count() > 1).Select(g => g.Key).ToList();

    /// <summary>Runs <c>promtool check metrics</c> with the text on stdin.</summary>
    public static async Task<(int ExitCode, string Output)> PromtoolAsync(string metrics)
    {
        var path = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists);
        Assert.True(path is not null, "promtool is not installed (Debian package 'prometheus'; test.sh installs it)");
        var result = await ProcessRun.RunAsync(path!, ["check", "metrics"], TimeSpan.FromSeconds(30), input: metrics);
        return result.TimedOut
            ? throw new TimeoutException("promtool check metrics did not finish within 30 s")
            : (result.ExitCode, (result.Stdout + result.Stderr).Trim());
    }

    /// <summary>
    /// Some of everything: HTTP answers of several statuses, a hub connection (left open), accepted
    /// and refused events, and a real on-site nudge.
    /// </summary>
    public static async Task<HubConnection> TrafficAsync(GatewayApp app)
    {
        var shopper = "metrics-" + Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("health/ready")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("v1/policy")).Status);
        Assert.Equal(HttpStatusCode.OK, (await app.PostEventsAsync(Events.Batch(Events.PageView(shopper), Events.Make("teleport", shopper)))).Status);
        var hub = await app.ConnectShopperAsync(shopper);
        await hub.InvokeAsync<JsonElement>("Track", Events.AddToCart(shopper, "cart-metrics", price: 30));
        Assert.Equal("nudge", (await hub.NextMessageAsync()).Target);
        return hub;
    }
}
