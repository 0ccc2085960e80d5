using System.Diagnostics;
using CartRecovery.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace CartRecovery.Cluster.Tests;

/// <summary>
/// PostgreSQL goes away for a few seconds in the middle of the load (fast shutdown: sessions
/// killed, open transactions rolled back) and comes back. Ingestion only needs Kafka, so the
/// gateway keeps accepting; the silo retries its checkpoints and activations, and afterwards
/// every event is applied exactly once. Runs against a private server so the shared one that
/// other test assemblies use is never restarted.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PostgresRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_database_restart_during_load_loses_nothing()
    {
        var unavailable = PrivatePostgres.Unavailable();
        Assert.True(unavailable is null, "a private PostgreSQL server cannot run here: " + unavailable);
        var events = Workload.Events;
        var reference = ReferenceModel.CachedAsync("rees46-all", () => events);

        await using var postgres = await PrivatePostgres.StartAsync();
        await using var cluster = await TestCluster.StartAsync(output, postgres.ConnectionString);
        var (_, gateway) = await cluster.StartSilosAndGatewayAsync(["silo1"]);
        await cluster.WaitForOwnersAsync(["silo1"], TimeSpan.FromSeconds(60));

        using var sender = new EventSender(gateway.Url, events, senders: 4, eventsPerSecond: 2500).Start();
        await sender.WhenSentAsync(events.Count / 3, TimeSpan.FromMinutes(2));

        var outage = Stopwatch.StartNew();
        await postgres.StopServerAsync();
        var sentAtStop = sender.Sent;
        cluster.Log($"PostgreSQL stopped (fast) with {sentAtStop} of {sender.Total} events sent");

        // Stay down for a few seconds of continued load (a condition, not a sleep: events keep being accepted).
        await sender.WhenSentAsync(sentAtStop + 6000, TimeSpan.FromSeconds(60));
        await postgres.StartServerAsync();
        cluster.Log($"PostgreSQL back after {outage.Elapsed.TotalSeconds:0.0} s; {sender.Sent - sentAtStop} events accepted while it was down");
        Assert.True(sender.Sent > sentAtStop, "the gateway should accept events while the database is down");

        await sender.Completion;
        cluster.Log($"all {sender.Total} events sent in {sender.Elapsed.TotalSeconds:0.0} s ({sender.Retries} retried posts)");
        await cluster.WaitCaughtUpAsync(TimeSpan.FromSeconds(120));

        var carts = await cluster.CartsAsync();
        CartComparison.AssertEqual(await reference, carts, "after a PostgreSQL restart");
        Assert.Empty(CartComparison.LedgerProblems(carts));
        var silo = cluster.Nodes.Single(n => n.Name == "silo1");
        Assert.False(silo.Process.HasExited, "the silo should survive the database restart\n" + silo.Process.Tail());
        cluster.Log($"silo logged {silo.Process.LoggedEventId(1004)} failed checkpoints (1004), {silo.Process.LoggedEventId(3004)} apply retries (3004) during the outage");
    }
}
