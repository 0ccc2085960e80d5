using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using CartRecovery.Deploy.Tests.Support;
using CartRecovery.Silo;

namespace CartRecovery.Deploy.Tests;

/// <summary>The metrics dashboards and alerts rely on are ones the application exports.</summary>
public sealed partial class MetricsContractTests
{
    [Fact]
    public void EveryApplicationContractMetricIsDefinedInTheApplicationSources()
    {
        var literals = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in RepoPaths.ApplicationSourceFiles().Concat(SourceFiles("Persistence")))
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
        var dir = Directory.CreateTempSubdirectory("cr-metrics-contract-").FullName;
        var app = await SiloApp.StartAsync(
        [
            "--environment", "Development",
            "--Http:Port=0",
            "--Http:Host=127.0.0.1",
            $"--Storage:ConnectionString=Data Source={Path.Combine(dir, "state.db")}",
            "--Auth:IngestKey=contract-key",
            "--Logging:LogLevel:Default=Warning",
        ]);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(SiloApp.BaseAddress(app) + "/"), Timeout = TimeSpan.FromSeconds(30) };
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
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // SQLite may hold the file a moment longer; a leftover temp directory is harmless.
            }
        }
    }

    private static IEnumerable<string> OrleansFamilies(string text) =>
        Regex.Matches(text, "^# TYPE (orleans_\\S+ \\S+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value);

    private static IEnumerable<string> SourceFiles(string dir) =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, dir), "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(RepoPaths.Root, f).Replace('\\', '/').Split('/').Any(part => part is "bin" or "obj"));

    [GeneratedRegex(@"""(?<s>[a-z][a-z0-9_]*)""")]
    private static partial Regex StringLiteralRegex();
}
