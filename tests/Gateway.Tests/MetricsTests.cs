using System.Text.RegularExpressions;
using CartRecovery.Gateway.Tests.Support;

namespace CartRecovery.Gateway.Tests;

/// <summary>
/// Metrics tests run alone, after the parallel classes: meters are process-wide, and another app
/// running in this process at the same time would show up in the scrape.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
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
        "events_rejected_total", "nudges_total", "grain_activations", "grain_call_duration_seconds", "checkpoint_duration_seconds",
    ];

    [Fact]
    public async Task Metrics_pass_promtool_and_hold_the_required_families()
    {
        // One scrape first: measurements made before the first scrape are lost today (see
        // MetricsLifecycleTests); this test is about the format and what a running app reports.
        await Prometheus.ScrapeAsync(app);
        await using var hub = await Prometheus.TrafficAsync(app);
        var text = await Prometheus.ScrapeAsync(app);

        var (exit, output) = await Prometheus.PromtoolAsync(text);
        Assert.True(exit == 0, $"promtool check metrics exited {exit}:\n{output}");
        Assert.True(output.Length == 0, "promtool reported:\n" + output);

        foreach (var name in Required)
        {
            Assert.Matches(new Regex($"^# HELP {name} \\S", RegexOptions.Multiline), text);
            Assert.Matches(new Regex($"^# TYPE {name} (counter|gauge|histogram)$", RegexOptions.Multiline), text);
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
        Assert.True(samples.Sum("grain_activations") >= 1);
        Assert.True(samples.Sum("checkpoint_duration_seconds_count") >= 1);
        Assert.True(samples.Sum("grain_call_duration_seconds_count") >= 1);
        Assert.True(samples.Sum("http_request_duration_seconds_count") >= 1);

        // Histograms: cumulative buckets, ending in +Inf, equal to the count.
        foreach (var histogram in new[] { "http_request_duration_seconds", "grain_call_duration_seconds", "checkpoint_duration_seconds" })
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
            var ownIngested = Prometheus.Samples(await Prometheus.ScrapeAsync(first)).Sum("events_ingested_total");

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
