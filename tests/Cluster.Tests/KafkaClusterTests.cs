using CartRecovery.Cluster.Tests.Support;
using CartRecovery.TestSupport;
using Xunit.Abstractions;

namespace CartRecovery.Cluster.Tests;

/// <summary>
/// Events through Kafka (librdkafka's mock cluster as a separate process): the gateway produces to
/// cart-events and answers after the brokers acknowledged; silos consume through the Orleans stream
/// provider. A silo killed mid-stream loses nothing and applies nothing twice.
/// </summary>
public sealed class KafkaClusterTests(ITestOutputHelper output)
{
    private const int Partitions = 16;

    [Fact]
    public async Task Kill9_of_a_silo_while_events_flow_through_kafka_loses_nothing_and_applies_nothing_twice()
    {
        var tool = Path.Combine(SharedData.RepoRoot, "tools", "MockKafka", "bin", "Release", "net10.0", "CartRecovery.MockKafka.dll");
        Assert.True(File.Exists(tool), $"build tools/MockKafka first ({tool})");
        await using var kafka = ChildProcess.Start("kafka", "dotnet", [tool, "--brokers", "1", "--topic", $"cart-events:{Partitions}", "--topic", "cart-events-dlq:1"], keepStdinOpen: true);
        var first = await kafka.FirstLine.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("BOOTSTRAP=", first);
        var settings = new Dictionary<string, string>
        {
            ["Events:Provider"] = "Kafka",
            ["Kafka:BootstrapServers"] = first["BOOTSTRAP=".Length..],
            ["Kafka:Partitions"] = Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        await using var cluster = await ClusterHarness.StartAsync(output, settings);
        var silos = await Task.WhenAll(cluster.StartSiloAsync("silo-1"), cluster.StartSiloAsync("silo-2"), cluster.StartSiloAsync("silo-3"));
        var gateway = await cluster.StartGatewayAsync("gateway");

        var events = ReferenceCarts.RecentRees46(50_000);
        var batches = ReferenceCarts.InLanes(events, senders: 4);
        var kill = batches.Count / 2;
        var killed = 0;
        await ReferenceCarts.SendInOrderAsync(batches, senders: 4, async (i, batch) =>
        {
            if (i >= kill && Interlocked.Exchange(ref killed, 1) == 0)
            {
                silos[1].Process.KillHard();
                output.WriteLine($"killed {silos[1].Name} after batch {i}");
            }

            await cluster.IngestAsync(gateway, ReferenceCarts.Body(batch), giveUpAfter: TimeSpan.FromMinutes(2));
        });

        // The silos consume behind the gateway's acknowledgements; wait until every cart is there.
        var reference = await ReferenceCarts.ComputeAsync(batches, new Dictionary<string, string> { ["Policy:ExpireAfterHours"] = "24" });
        var mismatches = reference.Count;
        var until = DateTime.UtcNow.AddSeconds(180);
        Dictionary<string, System.Text.Json.JsonElement> stored = [];
        while (DateTime.UtcNow < until)
        {
            stored = await cluster.StoredCartsAsync();
            mismatches = reference.Count(r => !stored.TryGetValue(r.Key, out var s) || CartContent.Of(s) != r.Value);
            if (mismatches == 0)
            {
                break;
            }

            await Task.Delay(1000);
        }

        Assert.True(mismatches == 0, $"{mismatches} of {reference.Count} carts differ from the reference after 180 s");
        Assert.Equal(reference.Count, stored.Count);
        foreach (var (key, cart) in stored)
        {
            var stages = cart.GetProperty("nudges").EnumerateArray().Select(n => n.GetProperty("stage").GetString()).ToList();
            Assert.True(stages.Distinct().Count() == stages.Count, $"{key}: two nudges for one stage");
        }
    }
}
