using System.Diagnostics;
using CartRecovery.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace CartRecovery.Cluster.Tests;

/// <summary>
/// Graceful moves: a fourth silo joins under load and takes partitions; then it is stopped with
/// SIGTERM, checkpoints, commits, leaves and exits 0, and its partitions move back. Every event
/// sent meanwhile is applied exactly once.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ScaleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Scale_out_and_scale_in_under_load_apply_every_event_exactly_once()
    {
        var events = Workload.Events;
        var reference = ReferenceModel.CachedAsync("rees46-all", () => events);

        await using var cluster = await TestCluster.StartAsync(output);
        var (_, gateway) = await cluster.StartSilosAndGatewayAsync(["silo1", "silo2", "silo3"]);
        await cluster.WaitForOwnersAsync(["silo1", "silo2", "silo3"], TimeSpan.FromSeconds(60));

        // Paced, and held at checkpoints of the stream so both moves happen while events are still flowing,
        // however slow the machine is.
        using var sender = new EventSender(gateway.Url, events, senders: 4, eventsPerSecond: 2000);
        sender.HoldAt(events.Count / 2);
        sender.Start();
        await sender.WhenSentAsync(events.Count / 6, TimeSpan.FromMinutes(2));

        // Scale out.
        var moving = Stopwatch.StartNew();
        var sentBefore = sender.Sent;
        var silo4 = await cluster.StartSiloAsync("silo4");
        var withFour = await cluster.WaitForOwnersAsync(["silo1", "silo2", "silo3", "silo4"], TimeSpan.FromSeconds(60));
        var sentDuringOut = sender.Sent - sentBefore;
        cluster.Log($"scale-out: silo4 owns {withFour.Count(r => r.Owner == "silo4")} partitions {moving.Elapsed.TotalSeconds:0.0} s after it was started; {sentDuringOut} events sent meanwhile");
        Assert.True(sentDuringOut > 0 && !sender.Completion.IsCompleted, "the stream should run while silo4 joins");
        sender.HoldAt(events.Count * 5 / 6);

        // Scale in: SIGTERM, a clean exit, and its partitions back on the three others.
        moving.Restart();
        sentBefore = sender.Sent;
        silo4.Process.Signal(ChildProcess.SigTerm);
        Assert.True(await silo4.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)), $"silo4 did not exit within 60 s of SIGTERM\n{silo4.Process.Tail()}");
        Assert.True(silo4.Process.ExitCode == 0, $"silo4 exited with {silo4.Process.ExitCode}\n{silo4.Process.Tail()}");
        var exited = moving.Elapsed;
        var withThree = await cluster.WaitForOwnersAsync(["silo1", "silo2", "silo3"], TimeSpan.FromSeconds(60));
        var sentDuringIn = sender.Sent - sentBefore;
        cluster.Log($"scale-in: silo4 exited 0 after {exited.TotalSeconds:0.0} s, partitions re-owned after {moving.Elapsed.TotalSeconds:0.0} s; {sentDuringIn} events sent meanwhile");
        Assert.True(sentDuringIn > 0, "the stream should run while silo4 leaves");
        Assert.DoesNotContain(withThree, r => r.Owner == "silo4");
        sender.Release();

        await sender.Completion;
        cluster.Log($"all {sender.Total} events sent in {sender.Elapsed.TotalSeconds:0.0} s ({sender.Retries} retried posts)");
        await cluster.WaitCaughtUpAsync(TimeSpan.FromSeconds(120));

        var carts = await cluster.CartsAsync();
        CartComparison.AssertEqual(await reference, carts, "after scale-out and scale-in");
        Assert.Empty(CartComparison.LedgerProblems(carts));
    }
}
