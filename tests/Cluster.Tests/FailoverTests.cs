using System.Diagnostics;
using System.Net;
using CartRecovery.Cluster.Tests.Support;
using CartRecovery.Grains.Abstractions.Carts;
using Xunit.Abstractions;

namespace CartRecovery.Cluster.Tests;

/// <summary>
/// Three silos and a gateway as separate processes; one silo is killed with SIGKILL a little
/// after a third of the way through a replay of the REES46 log (84k events, four senders). Nothing may be lost or applied twice, the nudge
/// ledger stays unique, the dead silo's reminders fire on their new owners, and the gateway
/// serves the dead silo's keys again within 15 seconds.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Kill9_of_a_silo_mid_stream_loses_nothing_and_fails_over_within_15_seconds()
    {
        var events = Workload.Events;
        Assert.True(events.Count >= 50_000, $"the workload has only {events.Count} events");
        var baseReference = ReferenceModel.CachedAsync("rees46-all", () => events);

        await using var cluster = await TestCluster.StartAsync(output);
        using var webhooks = new WebhookReceiver();
        var (silos, gateway) = await cluster.StartSilosAndGatewayAsync(["silo1", "silo2", "silo3"], webhooks.SiloArguments);
        var before = await cluster.WaitForOwnersAsync(["silo1", "silo2", "silo3"], TimeSpan.FromSeconds(60));
        cluster.Log("settled: " + TestCluster.Describe(before));

        // Paced so the stream is still running when the silo dies and while its partitions move; held so
        // it never gets far past a third of the log before the kill, however slow the machine is.
        using var sender = new EventSender(gateway.Url, events, senders: 4, eventsPerSecond: 2000);
        sender.HoldAt(events.Count * 2 / 5);
        sender.Start();
        await sender.WhenSentAsync(events.Count / 3, TimeSpan.FromMinutes(3));
        cluster.Log($"{sender.Sent} events sent; preparing the kill");

        // The victim's partitions, a checkpointed cart of it for the gateway probe, and fresh carts
        // whose tick reminders are durable on the victim but due only after the kill.
        var victim = silos[2];
        var owned = (await cluster.PartitionsAsync()).Where(r => r.Owner == victim.Name).ToDictionary(r => r.Partition, r => r.Epoch);
        Assert.NotEmpty(owned);
        var cartPartitions = await cluster.CartPartitionsAsync();
        var probeKey = cartPartitions.Where(kv => owned.ContainsKey(kv.Value)).Select(kv => kv.Key).Order(StringComparer.Ordinal).First();
        using var admin = await AdminClient.LoginAsync(gateway.Url);
        var getWatch = Stopwatch.StartNew();
        var (status, detail) = await admin.GetCartAsync(probeKey);
        cluster.Log($"GET cart {probeKey} before the kill: {(int)status} in {getWatch.ElapsedMilliseconds} ms");
        Assert.True(status == HttpStatusCode.OK, $"GET cart {probeKey} before the kill: {(int)status} {detail}\n{cluster.Tails()}");

        var probes = Workload.Probes("failover-probe", owned.Keys.ToHashSet(), 24, TimeSpan.FromSeconds(30));
        var probeReference = ReferenceModel.ComputeAsync(probes);
        await EventSender.PostAllAsync(gateway.Url, probes);
        var probeKeys = probes.Select(e => $"{e.ShopperId}/{e.CartId}").ToHashSet();
        List<StoredReminder> probeReminders = [];
        Assert.True(await Poll.UntilAsync(async () =>
        {
            probeReminders = (await cluster.RemindersAsync("cart")).Where(r => probeKeys.Contains(r.GrainKey)).ToList();
            return probeReminders.Count == probeKeys.Count;
        }, TimeSpan.FromSeconds(30)), $"probe reminders not checkpointed by {victim.Name}: {probeReminders.Count} of {probeKeys.Count}\n{victim.Process.Tail()}");

        victim.Process.KillHard();
        var killedAt = DateTimeOffset.UtcNow;
        var sinceKill = Stopwatch.StartNew();
        var sentAtKill = sender.Sent;
        cluster.Log($"kill -9 {victim} (owned {string.Join(",", owned.Keys)}), {sentAtKill} of {sender.Total} events sent");
        sender.Release();
        Assert.All(probeReminders, r => Assert.True(r.DueAt > killedAt, $"probe reminder {r.GrainKey} was due before the kill ({r.DueAt:O})"));

        // Failover: the gateway answers for the dead silo's key, and every partition of it is re-owned.
        var gatewayWatch = Task.Run(async () =>
        {
            while (sinceKill.Elapsed < TimeSpan.FromSeconds(60))
            {
                if (await admin.GetCartStatusAsync(probeKey, TimeSpan.FromSeconds(2)) == HttpStatusCode.OK)
                {
                    return sinceKill.Elapsed;
                }

                await Task.Delay(100);
            }

            return TimeSpan.MaxValue;
        });
        TimeSpan reowned = TimeSpan.MaxValue;
        Assert.True(await Poll.UntilAsync(async () =>
        {
            var rows = await cluster.PartitionsAsync();
            var done = rows.Where(r => owned.ContainsKey(r.Partition)).All(r => r.Owner is not null && r.Owner != victim.Name && r.Epoch > owned[r.Partition]);
            if (done)
            {
                reowned = sinceKill.Elapsed;
            }

            return done;
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100)), $"the dead silo's partitions were not re-owned within 60 s\n{cluster.Tails()}");
        var gatewayRecovered = await gatewayWatch;
        cluster.Log($"FAILOVER: all of {victim.Name}'s partitions re-owned {reowned.TotalSeconds:0.0} s after kill -9; gateway answered for its key {probeKey} after {gatewayRecovered.TotalSeconds:0.0} s");

        var sentAtFailover = sender.Sent;
        await sender.Completion;
        Assert.True(sentAtFailover < sender.Total, "the stream should still run while the partitions move");
        cluster.Log($"all {sender.Total} events sent in {sender.Elapsed.TotalSeconds:0.0} s ({sender.Retries} retried posts)");
        await cluster.WaitCaughtUpAsync(TimeSpan.FromSeconds(120));

        // Exactly-once effect: every cart equals the single-pass reference.
        var expected = ReferenceModel.Merge(await baseReference, await probeReference);
        cluster.Log($"reference: {expected.Count} carts (a single pass over {events.Count} events takes {ReferenceModel.DurationFor(events.Count).TotalSeconds:0.0} s in process)");
        var carts = await cluster.CartsAsync();
        CartComparison.AssertEqual(expected, carts, "after kill -9 of a silo");
        Assert.Empty(CartComparison.LedgerProblems(carts));

        // Durable reminders moved with the partitions: the probe carts' ticks fired on the new owners
        // (after the kill), and no cart with lines in a moved partition is stuck in "active".
        var movedKeys = (await cluster.CartPartitionsAsync()).Where(kv => owned.ContainsKey(kv.Value)).Select(kv => kv.Key).ToHashSet();
        Dictionary<string, CartState> stuck = [];
        var fired = await Poll.UntilAsync(async () =>
        {
            var now = await cluster.CartsAsync();
            stuck = now.Where(kv => movedKeys.Contains(kv.Key) && kv.Value.Lines.Count > 0 && kv.Value.Stage == CartStages.Active).ToDictionary();
            return stuck.Count == 0 && probeKeys.All(k => now[k].IdleAt is { } idle && idle > killedAt);
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500));
        var final = await cluster.CartsAsync();
        Assert.True(fired,
            $"{stuck.Count} carts of moved partitions still active (e.g. {string.Join(", ", stuck.Keys.Take(5))}); probe carts: " +
            string.Join(", ", probeKeys.Take(5).Select(k => $"{k} {final[k].Stage} idle_at {final[k].IdleAt:O}")));
        Assert.All(probeKeys, k => Assert.Contains(final[k].Stage, new[] { CartStages.Idle, CartStages.Abandoned, CartStages.Nudged }));
        Assert.Empty(CartComparison.LedgerProblems(final));
        cluster.Log($"{movedKeys.Count} carts in moved partitions; {probeKeys.Count} probe ticks fired on the new owners");

        // Off-site nudges: one ledger entry per cart and stage, each delivered (at least once, by id).
        var ledger = final.Values.SelectMany(c => c.Nudges).Where(n => n.Channel == "webhook").Select(n => n.NudgeId).ToList();
        Assert.NotEmpty(ledger);
        Assert.True(await Poll.UntilAsync(() => ledger.All(webhooks.Received.ContainsKey), TimeSpan.FromSeconds(30)),
            $"nudges in the ledger never delivered: {string.Join(", ", ledger.Where(id => !webhooks.Received.ContainsKey(id)).Take(10))}");
        cluster.Log($"nudge ledger: {ledger.Count} webhook nudges, none twice; {webhooks.Received.Values.Sum()} deliveries of {webhooks.Received.Count} ids " +
            $"({webhooks.Received.Count(kv => kv.Value > 1)} delivered more than once, {webhooks.Received.Keys.Count(k => !ledger.Contains(k))} not in the final ledger)");

        Assert.True(gatewayRecovered < TimeSpan.FromSeconds(15),
            $"the gateway answered for the dead silo's key only after {gatewayRecovered.TotalSeconds:0.0} s (partitions re-owned after {reowned.TotalSeconds:0.0} s)");
    }
}
