using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using CartRecovery.Deploy.Tests.Support;
using CartRecovery.Silo;
using CartRecovery.Streaming.Kafka.Mock;
using CartRecovery.Streaming.Kafka.Native;
using CartRecovery.TestSupport;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;

namespace CartRecovery.Deploy.Tests;

/// <summary>The metrics dashboards and alerts rely on are ones the application exports.</summary>
public sealed partial class MetricsContractTests
{
    [Fact]
    public void EveryApplicationContractMetricIsDefinedInTheApplicationSources()
    {
        var literals = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in RepoPaths.ApplicationSourceFiles().Concat(SourceFiles("Persistence")).Concat(SourceFiles("Streaming.Kafka")))
        {
            foreach (Match m in StringLiteralRegex().Matches(File.ReadAllText(file)))
            {
                literals.Add(m.Groups["s"].Value);
            }
        }

        // an exporter may add the _total suffix of a counter itself
        var missing = MetricContract.Application
            .Where(n => !literals.Contains(n) && !(n.EndsWith("_total", StringComparison.Ordinal) && literals.Contains(n[..^"_total".Length])))
            .ToArray();
        Assert.True(missing.Length == 0,
            "dashboards and alerts query metrics no application source defines (expected an instrument named like this in " +
            "Silo/Gateway/Grains/Persistence/Kafka): " + string.Join(", ", missing));
    }

    /// <summary>
    /// Orleans' instruments are named by Orleans and by the exporter's translation (units, _total):
    /// a running app, after one event went through its grains, must show each under its contract name.
    /// </summary>
    [Fact]
    public async Task EveryOrleansContractMetricIsOnTheMetricsOfARunningApp()
    {
        await using var running = await RunningApp.StartAsync("cr-metrics-contract-");
        using var http = new HttpClient { BaseAddress = new Uri(SiloApp.BaseAddress(running.App) + "/"), Timeout = TimeSpan.FromSeconds(30) };
        var at = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        using var events = new StringContent(
            $$$"""[{"event_id":"contract-1","type":"page_view","shopper_id":"contract","session_id":"s1","occurred_at":"{{{at}}}","page":{"url":"https://shop.example/"}}]""",
            Encoding.UTF8, "application/json");
        events.Headers.Add("X-Api-Key", "contract-key");
        using var posted = await http.PostAsync("v1/events", events);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);

        var text = await http.GetStringAsync("metrics");
        foreach (var name in MetricContract.Orleans)
        {
            var type = MetricContract.Histograms.Contains(name) ? "histogram" : "(gauge|counter)";
            Assert.True(Regex.IsMatch(text, $"^# TYPE {name} {type}$", RegexOptions.Multiline),
                $"/metrics has no {name} ({type}); its Orleans families are: " + string.Join(", ", OrleansFamilies(text)));
        }
    }

    /// <summary>
    /// The Kafka stream provider's instruments reach /metrics through the app's exporter: a silo reading cart-events
    /// (librdkafka's mock brokers, in process) reports kafka_consumer_lag for each partition it reads, and counts a
    /// poison record on kafka_records_dead_lettered_total once its dead letter is acknowledged.
    /// </summary>
    [Fact]
    public async Task TheKafkaMetricsAreOnTheMetricsOfASiloReadingKafka()
    {
        const int partitions = 4;
        using var kafka = MockKafkaCluster.Start();
        kafka.CreateTopic("cart-events", partitions);
        kafka.CreateTopic("cart-events-dlq", 1);
        await using var running = await RunningApp.StartAsync(
            "cr-metrics-kafka-",
            "--Events:Provider=Kafka",
            "--Kafka:BootstrapServers=" + kafka.BootstrapServers,
            "--Kafka:Partitions=" + partitions.ToString(CultureInfo.InvariantCulture));
        using var http = new HttpClient { BaseAddress = new Uri(SiloApp.BaseAddress(running.App) + "/"), Timeout = TimeSpan.FromSeconds(30) };
        KafkaNative.EnsureLoaded();
        using (var producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            await producer.ProduceAsync("cart-events", new Message<byte[]?, byte[]> { Key = null, Value = "{not an event"u8.ToArray() });
        }

        var text = "";
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            text = await http.GetStringAsync("metrics");
            if (LagSeriesRegex().Matches(text).Count == partitions && DeadLetteredRegex().IsMatch(text))
            {
                break;
            }

            await Task.Delay(250);
        }

        var kafkaLines = string.Join("\n", text.Split('\n').Where(l => l.Contains("kafka_", StringComparison.Ordinal)));
        Assert.True(Regex.IsMatch(text, "^# TYPE kafka_consumer_lag gauge$", RegexOptions.Multiline), "no kafka_consumer_lag gauge on /metrics:\n" + kafkaLines);
        Assert.True(Regex.IsMatch(text, "^# TYPE kafka_records_dead_lettered_total counter$", RegexOptions.Multiline), "no kafka_records_dead_lettered_total counter on /metrics:\n" + kafkaLines);
        var lags = LagSeriesRegex().Matches(text);
        Assert.True(
            lags.Select(m => m.Groups["partition"].Value).Order().SequenceEqual(Enumerable.Range(0, partitions).Select(p => p.ToString(CultureInfo.InvariantCulture))),
            "expected one kafka_consumer_lag series per partition of cart-events:\n" + kafkaLines);
        Assert.True(DeadLetteredRegex().IsMatch(text), "the poison record is not counted:\n" + kafkaLines);
    }

    /// <summary>The app as it ships (embedded, SQLite in a temp directory) on a free port, with extra settings; stopped and cleaned up on dispose.</summary>
    private sealed class RunningApp(WebApplication app, TempDirectory dir) : IAsyncDisposable
    {
        public WebApplication App => app;

        public static async Task<RunningApp> StartAsync(string prefix, params string[] settings)
        {
            var dir = new TempDirectory(prefix);
            try
            {
                var app = await SiloApp.StartAsync(
                [
                    "--environment", "Development",
                    "--Http:Port=0",
                    "--Http:Host=127.0.0.1",
                    $"--Storage:ConnectionString=Data Source={dir.File("state.db")}",
                    "--Auth:IngestKey=contract-key",
                    "--Logging:LogLevel:Default=Warning",
                    .. settings,
                ]);
                return new RunningApp(app, dir);
            }
            catch
            {
                dir.Dispose();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
            finally
            {
                dir.Dispose();
            }
        }
    }

    [GeneratedRegex("""^kafka_consumer_lag\{(?=[^}]*topic="cart-events")[^}]*partition="(?<partition>\d+)"[^}]*\} \d+""", RegexOptions.Multiline)]
    private static partial Regex LagSeriesRegex();

    [GeneratedRegex("""^kafka_records_dead_lettered_total\{(?=[^}]*reason="invalid")(?=[^}]*topic="cart-events")[^}]*\} 1(\s|$)""", RegexOptions.Multiline)]
    private static partial Regex DeadLetteredRegex();

    private static IEnumerable<string> OrleansFamilies(string text) =>
        Regex.Matches(text, "^# TYPE (orleans_\\S+ \\S+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value);

    private static IEnumerable<string> SourceFiles(string dir) =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, dir), "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(RepoPaths.Root, f).Replace('\\', '/').Split('/').Any(part => part is "bin" or "obj"));

    [GeneratedRegex(@"""(?<s>[a-z][a-z0-9_]*)""")]
    private static partial Regex StringLiteralRegex();
}
