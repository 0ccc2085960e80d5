using CartRecovery.Cluster.Tests.Support;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.TestSupport;
using Xunit.Abstractions;

namespace CartRecovery.Cluster.Tests;

/// <summary>Silos come and go, and the database and Redis restart, while events flow: nothing is lost.</summary>
public sealed class ElasticityTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Scaling_out_to_four_silos_and_back_in_under_load_loses_nothing()
    {
        await using var cluster = await ClusterHarness.StartAsync(output);
        await Task.WhenAll(cluster.StartSiloAsync("silo-1"), cluster.StartSiloAsync("silo-2"));
        var gateway = await cluster.StartGatewayAsync("gateway");
        var batches = Batches(20_000);

        var load = SendAllAsync(cluster, gateway, batches);
        var silo3 = await cluster.StartSiloAsync("silo-3");
        var silo4 = await cluster.StartSiloAsync("silo-4");
        await Task.Delay(TimeSpan.FromSeconds(3));
        await cluster.StopGracefullyAsync(silo4);
        await cluster.StopGracefullyAsync(silo3);
        await load;

        await AssertEqualsReferenceAsync(cluster, batches);
    }

    [Fact]
    public async Task PostgreSQL_then_Redis_restarting_under_load_delays_events_but_loses_none()
    {
        Assert.True(PrivatePostgres.Unavailable() is null, PrivatePostgres.Unavailable());
        await using var postgres = await PrivatePostgres.StartAsync();
        var redisPort = ClusterHarness.FreePort();
        var redis = StartRedis(redisPort);
        try
        {
            await using var cluster = await ClusterHarness.StartAsync(output, connectionString: postgres.ConnectionString, redis: $"127.0.0.1:{redisPort},abortConnect=false");
            await Task.WhenAll(cluster.StartSiloAsync("silo-1"), cluster.StartSiloAsync("silo-2"));
            var gateway = await cluster.StartGatewayAsync("gateway");
            var batches = Batches(15_000);

            var load = SendAllAsync(cluster, gateway, batches);
            await Task.Delay(TimeSpan.FromSeconds(2));
            await postgres.StopServerAsync();
            await Task.Delay(TimeSpan.FromSeconds(3));
            await postgres.StartServerAsync();
            await Task.Delay(TimeSpan.FromSeconds(2));
            await redis.DisposeAsync();
            await Task.Delay(TimeSpan.FromSeconds(2));
            redis = StartRedis(redisPort);
            await load;

            await AssertEqualsReferenceAsync(cluster, batches);
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }

    private static ChildProcess StartRedis(int port) =>
        ChildProcess.Start("redis", "redis-server", ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);

    /// <summary>Real REES46 events (repeated under fresh ids to <paramref name="count"/>), timed to end a minute ago, for four senders.</summary>
    private static List<List<StorefrontEvent>> Batches(int count) => ReferenceCarts.InLanes(ReferenceCarts.RecentRees46(count), senders: 4);

    /// <summary>Four concurrent senders; each batch is retried until accepted, as a store backend would.</summary>
    private static Task SendAllAsync(ClusterHarness cluster, ClusterNode gateway, List<List<StorefrontEvent>> batches) =>
        ReferenceCarts.SendInOrderAsync(batches, senders: 4, (_, batch) =>
            cluster.IngestAsync(gateway, ReferenceCarts.Body(batch), giveUpAfter: TimeSpan.FromMinutes(2)));

    private static async Task AssertEqualsReferenceAsync(ClusterHarness cluster, List<List<StorefrontEvent>> batches)
    {
        var reference = await ReferenceCarts.ComputeAsync(batches, new Dictionary<string, string> { ["Policy:ExpireAfterHours"] = "24" });
        var stored = await cluster.StoredCartsAsync();
        var mismatches = reference.Where(r => !stored.TryGetValue(r.Key, out var s) || CartContent.Of(s) != r.Value).Select(r => r.Key).ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {reference.Count} carts differ from the reference, e.g. {string.Join(", ", mismatches.Take(5))}");
        Assert.Equal(reference.Count, stored.Count);
    }
}
