using System.Net;
using System.Text.RegularExpressions;
using CartRecovery.Gateway.Tests.Support;

namespace CartRecovery.Gateway.Tests;

/// <summary>
/// The metrics classes run one after the other (MetricsLifecycleTests starts apps of its own), but
/// alongside the other test classes: each app's /metrics shows its own meters only, whatever else
/// runs in the process.
/// </summary>
[CollectionDefinition(Name)]
public sealed class MetricsCollection
{
    public const string Name = "Metrics";
}

/// <summary>The <c>/metrics</c> text format and content.</summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    private static readonly string[] Required =
    [
        "http_requests_total", "http_request_duration_seconds", "signalr_connections", "events_ingested_total",
        "events_rejected_total", "nudges_total", "shopper_batch_duration_seconds",
        "storage_transactions_total", "storage_states_written_total", "storage_reads_total", "storage_read_queries_total",
        "storage_batch_size", "storage_commit_duration_seconds",
        "orleans_grains", "orleans_app_requests_latency_seconds", "orleans_consistent_ring_size",
    ];

    private static readonly string[] Histograms =
    [
        "http_request_duration_seconds", "shopper_batch_duration_seconds", "storage_batch_size", "storage_commit_duration_seconds",
        "orleans_app_requests_latency_seconds",
    ];

    private static readonly HashSet<string> HttpMethods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE", "other"];

    [Fact]
    public async Task Metrics_pass_promtool_and_hold_the_required_families()
    {
        await using var hub = await Prometheus.TrafficAsync(app);
        var text = await Prometheus.ScrapeAsync(app);

        var (exit, output) = await Prometheus.PromtoolAsync(text);
        Assert.True(exit == 0, $"promtool check metrics exited {exit}:\n{output}");
        Assert.True(output.Length == 0, "promtool reported:\n" + output);

        foreach (var name in Required)
        {
            Assert.Matches(new Regex($"^# HELP {name} \\S", RegexOptions.Multiline), text);
            Assert.Matches(new Regex($"^# TYPE {name} {(Histograms.Contains(name) ? "histogram" : "(counter|gauge)")}$", RegexOptions.Multiline), text);
        }

        var samples = Prometheus.Samples(text);
        var duplicates = samples.Duplicates();
        Assert.True(duplicates.Count == 0, "duplicate series: " + string.Join(", ", duplicates));

        Assert.Equal(1, samples.Sum("signalr_connections", "hub=\"shopper\""));
        Assert.True(samples.Sum("events_ingested_total") >= 2);
        Assert.True(samples.Sum("events_rejected_total") >= 1);
        Assert.True(samples.Sum("nudges_total", "outcome=\"created\"") >= 1);
        Assert.True(samples.Sum("http_requests_total", "route=\"/v1/events\"") >= 1);
        Assert.True(samples.Sum("http_requests_total", "status=\"401\"") >= 1);
        Assert.True(samples.Sum("http_request_duration_seconds_count") >= 1);
        Assert.True(samples.Sum("shopper_batch_duration_seconds_count") >= 1);
        Assert.True(samples.Sum("storage_transactions_total", "provider=\"sqlite\"") >= 1);
        Assert.True(samples.Sum("storage_commit_duration_seconds_count", "provider=\"sqlite\"") >= 1);
        Assert.True(samples.Sum("orleans_grains", "grain_type=\"shopper\"") >= 1);
        Assert.True(samples.Sum("orleans_app_requests_latency_seconds_count") >= 1);
        Assert.Equal(1, samples.Sum("orleans_consistent_ring_size"));

        // Orleans' milliseconds are exported as seconds (a grain call of this traffic takes well under 30 s).
        Assert.DoesNotMatch(new Regex("^orleans_\\w*_milliseconds", RegexOptions.Multiline), text);
        Assert.True(samples.Sum("orleans_app_requests_latency_seconds_sum") < 30 * samples.Sum("orleans_app_requests_latency_seconds_count"));

        // Histograms: cumulative buckets, ending in +Inf, equal to the count.
        foreach (var histogram in Histograms)
        {
            var buckets = samples.Where(s => s.Name == histogram + "_bucket").ToList();
            Assert.NotEmpty(buckets);
            foreach (var series in buckets.GroupBy(b => Regex.Replace(b.Labels, @",?le=""[^""]*""", "")))
            {
                var values = series.Select(b => b.Value).ToList();
                Assert.True(values.Zip(values.Skip(1)).All(p => p.First <= p.Second), $"{histogram}{{{series.Key}}}: buckets not cumulative");
                Assert.Contains("le=\"+Inf\"", series.Last().Labels, StringComparison.Ordinal);
                Assert.Equal(samples.Single(s => s.Name == histogram + "_count" && s.Labels == series.Key).Value, values[^1]);
            }
        }

        // Closing the connection brings the gauge back down.
        await hub.DisposeAsync();
        await GatewayApp.EventuallyAsync(
            async () => Prometheus.Samples(await Prometheus.ScrapeAsync(app)).Sum("signalr_connections", "hub=\"shopper\""),
            v => v == 0,
            "signalr_connections after disconnect");
    }

    /// <summary>
    /// Methods and paths are the client's to invent: none of them may become a label value, or a
    /// client grows /metrics without bound (it once grew from 6 KB to 3.5 MB in 200 requests).
    /// </summary>
    [Fact]
    public async Task Invented_methods_and_paths_add_no_series()
    {
        // One request of each kind and a scrape first: the series for "other" methods, unmatched
        // routes and /metrics itself exist from then on.
        await SendInventedAsync(0, 1);
        await Prometheus.ScrapeAsync(app);
        var beforeText = await Prometheus.ScrapeAsync(app);
        var before = HttpSeries(Prometheus.Samples(beforeText));

        await SendInventedAsync(1, 100);
        var afterText = await Prometheus.ScrapeAsync(app);
        var samples = Prometheus.Samples(afterText);
        var after = HttpSeries(samples);

        Assert.True(before.SetEquals(after), "new series: " + string.Join(", ", after.Except(before).Take(5)));
        var methods = samples.Where(s => s.Name == "http_requests_total").Select(s => Regex.Match(s.Labels, @"method=""([^""]*)""").Groups[1].Value).ToHashSet();
        Assert.True(methods.IsSubsetOf(HttpMethods), "method labels: " + string.Join(", ", methods));
        Assert.True(samples.Sum("http_requests_total", "method=\"other\"") >= 200);
        Assert.True(afterText.Length < beforeText.Length + 8192, $"/metrics grew from {beforeText.Length} to {afterText.Length} bytes");
    }

    /// <summary>
    /// Each i: an invented method on a route and on no route, and a GET of a path that does not
    /// exist (outside /v1, whose per-client rate limit would answer some of them 429).
    /// </summary>
    private async Task SendInventedAsync(int from, int count)
    {
        foreach (var i in Enumerable.Range(from, count))
        {
            var method = new HttpMethod($"M{i}X{Guid.NewGuid():N}");
            Assert.Equal(HttpStatusCode.MethodNotAllowed, (await app.SendAsync(method, "health/live")).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await app.SendAsync(method, $"no-such-{Guid.NewGuid():N}")).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await app.GetAsync($"no-such-{Guid.NewGuid():N}/page")).Status);
        }
    }

    private static HashSet<string> HttpSeries(List<PromSample> samples) =>
        samples.Where(s => s.Name.StartsWith("http_request", StringComparison.Ordinal)).Select(s => s.Series).ToHashSet();
}

/// <summary>Bucket bounds as configured, so that PromQL like <c>le="0.1"</c> matches.</summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsFormatTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task Histogram_bucket_bounds_are_written_as_configured()
    {
        await Prometheus.ScrapeAsync(app);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await app.GetAsync("health/live")).Status);
        var bounds = Prometheus.Samples(await Prometheus.ScrapeAsync(app))
            .Where(s => s.Name == "http_request_duration_seconds_bucket")
            .Select(s => Regex.Match(s.Labels, @"le=""([^""]*)""").Groups[1].Value)
            .Distinct()
            .ToList();

        // GatewayMetrics configures 0.001, 0.0025, ..., 0.1, ..., 5 (shortest round-trip form expected).
        Assert.Equal(["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"], bounds);
    }
}

/// <summary>Metrics across an app's life: from its start, and with another app in the same process.</summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsLifecycleTests
{
    private static async Task<GatewayApp> StartAsync()
    {
        var app = new GatewayApp();
        await app.InitializeAsync();
        return app;
    }

    [Fact]
    public async Task Traffic_before_the_first_scrape_is_counted()
    {
        var app = await StartAsync();
        try
        {
            var hub = await Prometheus.TrafficAsync(app);
            var samples = Prometheus.Samples(await Prometheus.ScrapeAsync(app));
            Assert.True(samples.Sum("events_ingested_total") >= 2, "events_ingested_total misses the events applied before the first scrape");
            Assert.True(samples.Sum("http_requests_total", "route=\"/v1/events\"") >= 1, "http_requests_total misses requests before the first scrape");
            Assert.True(samples.Sum("nudges_total", "outcome=\"created\"") >= 1, "nudges_total misses the nudge before the first scrape");
            Assert.True(samples.Sum("orleans_app_requests_latency_seconds_count") >= 1, "orleans_app_requests_latency_seconds misses the grain calls before the first scrape");
            Assert.True(samples.Sum("orleans_grains", "grain_type=\"shopper\"") >= 1, "orleans_grains misses the activations before the first scrape");
            Assert.Equal(1, samples.Sum("signalr_connections", "hub=\"shopper\""));

            // A connection opened before the first scrape and closed after it must not drive the gauge negative.
            await hub.DisposeAsync();
            await GatewayApp.EventuallyAsync(
                async () => Prometheus.Samples(await Prometheus.ScrapeAsync(app)).Sum("signalr_connections", "hub=\"shopper\""),
                v => v <= 0,
                "signalr_connections after disconnect");
            Assert.Equal(0, Prometheus.Samples(await Prometheus.ScrapeAsync(app)).Sum("signalr_connections", "hub=\"shopper\""));
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Metrics_of_one_app_do_not_include_another_app_in_the_same_process()
    {
        var first = await StartAsync();
        try
        {
            await Prometheus.ScrapeAsync(first);
            await using var hub = await Prometheus.TrafficAsync(first);
            var own = Prometheus.Samples(await Prometheus.ScrapeAsync(first));
            var ownIngested = own.Sum("events_ingested_total");
            var ownShoppers = own.Sum("orleans_grains", "grain_type=\"shopper\"");
            Assert.True(ownShoppers >= 1, "orleans_grains has no shopper of the first app");

            var second = await StartAsync();
            try
            {
                var batch = Events.Batch(Enumerable.Range(0, 10).Select(_ => Events.PageView("other-" + Guid.NewGuid().ToString("N"))).ToArray());
                Assert.Equal(200, (int)(await second.PostEventsAsync(batch)).Status);

                var text = await Prometheus.ScrapeAsync(first);
                var samples = Prometheus.Samples(text);
                var duplicates = samples.Duplicates();
                Assert.True(duplicates.Count == 0, $"{duplicates.Count} duplicate series while a second app runs in the process, e.g. " + string.Join(", ", duplicates.Take(3)));
                Assert.Equal(ownIngested, samples.Sum("events_ingested_total"));
                Assert.Equal(ownShoppers, samples.Sum("orleans_grains", "grain_type=\"shopper\""));
                Assert.Equal(1, samples.Sum("orleans_consistent_ring_size"));
            }
            finally
            {
                await second.DisposeAsync();
            }
        }
        finally
        {
            await first.DisposeAsync();
        }
    }
}
