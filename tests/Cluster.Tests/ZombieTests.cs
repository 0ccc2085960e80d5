using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using CartRecovery.Cluster.Tests.Support;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Json;
using Xunit.Abstractions;

namespace CartRecovery.Cluster.Tests;

/// <summary>
/// A silo frozen with SIGSTOP is a zombie: the group gives its partitions to another silo, which
/// bumps their epochs and applies newer events. When the zombie is continued, its late checkpoint
/// must be refused by the epoch fence, and no cart may go back to the zombie's older view. And a
/// zombie frozen in the middle of a checkpoint transaction must not keep its partitions from moving.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ZombieTests(ITestOutputHelper output)
{
    private const int LostEventId = 1005;
    private const int PrefixLength = 24_000;

    private static IReadOnlyList<StorefrontEvent> Prefix => Workload.Events.Take(PrefixLength).ToList();

    [Fact]
    public async Task A_paused_silo_that_lost_its_partitions_cannot_overwrite_newer_state()
    {
        var events = Prefix;
        var reference = ReferenceModel.CachedAsync($"rees46-{PrefixLength}", () => events);
        var firstChunk = events.Count / 3;
        var zombieChunk = events.Count / 6;

        await using var cluster = await TestCluster.StartAsync(output);
        var zombieStart = cluster.StartSiloAsync("zombie", "--Runtime:FlushInterval=00:00:03", $"--Storage:ConnectionString={cluster.ConnectionStringFor("zombie")}");
        var (silos, gateway) = await cluster.StartSilosAndGatewayAsync(["survivor"]);
        var zombie = await zombieStart;
        var survivor = silos[0];
        await cluster.WaitForOwnersAsync([zombie.Name, survivor.Name], TimeSpan.FromSeconds(60));

        // Phase 1: the first third of the events, checkpointed everywhere.
        using (var first = new EventSender(gateway.Url, events.Take(firstChunk)).Start())
        {
            await first.Completion;
        }

        await cluster.WaitCaughtUpAsync(TimeSpan.FromSeconds(90));
        var zombiePartitions = (await cluster.PartitionsAsync()).Where(r => r.Owner == zombie.Name).ToDictionary(r => r.Partition, r => r.Epoch);
        Assert.NotEmpty(zombiePartitions);

        // Phase 2: events for the zombie's partitions, applied in its memory but (flush interval 3 s)
        // not yet checkpointed when it is frozen, and not frozen inside a transaction (the other test
        // covers that). Sent in slices until a freeze catches that moment.
        var middle = events.Skip(firstChunk).Take(zombieChunk).ToList();
        var forZombie = middle.Where(e => zombiePartitions.ContainsKey(Workload.PartitionOf(e.ShopperId))).ToList();
        var slices = forZombie.Chunk((forZombie.Count + 5) / 6).Select(c => c.ToList()).ToList();
        var sentSlices = 0;
        var unflushed = new List<int>();
        using var internalHttp = new HttpClient { BaseAddress = new Uri(zombie.InternalUrl!), Timeout = TimeSpan.FromSeconds(10) };
        while (sentSlices < slices.Count)
        {
            var slice = slices[sentSlices++];
            await EventSender.PostAllAsync(gateway.Url, slice);
            await WaitAppliedInMemoryAsync(internalHttp, slice);
            zombie.Process.Signal(ChildProcess.SigStop);
            var inTransaction = (await cluster.SessionsAsync(zombie.Name)).Any(s => s.TransactionStart is not null);
            var ends = await cluster.EndOffsetsAsync();
            var rows = (await cluster.PartitionsAsync()).ToDictionary(r => r.Partition);
            unflushed = zombiePartitions.Keys.Where(p => (rows[p].Offset ?? -1) + 1 < ends[p]).ToList();
            if (unflushed.Count > 0 && !inTransaction)
            {
                break;
            }

            cluster.Log($"freeze {sentSlices} caught the zombie {(inTransaction ? "inside a transaction" : "after its checkpoint")}; continuing it and trying again");
            unflushed.Clear();
            zombie.Process.Signal(ChildProcess.SigCont);
        }

        Assert.True(unflushed.Count > 0, "the zombie never held unflushed events (outside a transaction) when frozen");
        var frozen = Stopwatch.StartNew();
        cluster.Log($"SIGSTOP {zombie}: partitions {string.Join(",", zombiePartitions.Keys)}, unflushed in {string.Join(",", unflushed)}");

        // The group moves the zombie's partitions to the survivor, which fences them with new epochs.
        var takenOver = await Poll.UntilAsync(async () =>
        {
            var rows = await cluster.PartitionsAsync();
            return rows.Where(r => zombiePartitions.ContainsKey(r.Partition)).All(r => r.Owner == survivor.Name && r.Epoch > zombiePartitions[r.Partition]);
        }, TimeSpan.FromSeconds(60));
        Assert.True(takenOver, $"the frozen silo's partitions did not move: {TestCluster.Describe(await cluster.PartitionsAsync())}\n{await cluster.LockReportAsync()}\n{survivor.Process.Tail()}");
        var epochsAtTakeover = (await cluster.PartitionsAsync()).ToDictionary(r => r.Partition, r => r.Epoch);
        cluster.Log($"partitions taken over {frozen.Elapsed.TotalSeconds:0.0} s after SIGSTOP");

        // Phase 3: newer events (all the rest) applied by the survivor while the zombie sleeps.
        var rest = slices.Skip(sentSlices).SelectMany(s => s)
            .Concat(middle.Where(e => !zombiePartitions.ContainsKey(Workload.PartitionOf(e.ShopperId))))
            .Concat(events.Skip(firstChunk + zombieChunk))
            .ToList();
        using (var last = new EventSender(gateway.Url, rest).Start())
        {
            await last.Completion;
        }

        await cluster.WaitCaughtUpAsync(TimeSpan.FromSeconds(90));
        var expected = await reference;
        CartComparison.AssertEqual(expected, await cluster.CartsAsync(), "before the zombie resumes");

        // The zombie wakes up with its old epochs: its checkpoint is refused and it drops the partitions.
        zombie.Process.Signal(ChildProcess.SigCont);
        var resumed = Stopwatch.StartNew();
        HashSet<int> Dropped() => zombie.Process.LinesWithEventId(LostEventId).Select(PartitionOfLogLine).ToHashSet();
        Assert.True(await Poll.UntilAsync(() => unflushed.All(Dropped().Contains), TimeSpan.FromSeconds(30)),
            $"the zombie did not drop (event {LostEventId}) every partition it held unflushed state for: {string.Join(",", unflushed)} vs {string.Join(",", Dropped())}\n{zombie.Process.Tail()}");
        cluster.Log($"SIGCONT {zombie}: event {LostEventId} (\"was taken by another silo\") for partitions {string.Join(",", Dropped().Order())} within {resumed.Elapsed.TotalSeconds:0.0} s");
        Assert.Subset(zombiePartitions.Keys.ToHashSet(), Dropped());

        // Whatever the group does next (the zombie rejoins), nothing goes back: epochs only grow, a
        // partition the zombie owns again was taken with a new epoch, and every cart equals the reference.
        await cluster.WaitForOwnersAsync([zombie.Name, survivor.Name], TimeSpan.FromSeconds(60));
        cluster.Log($"the zombie rejoined the group {resumed.Elapsed.TotalSeconds:0.0} s after SIGCONT");
        await cluster.WaitCaughtUpAsync(TimeSpan.FromSeconds(60));
        var after = await cluster.PartitionsAsync();
        Assert.All(after, r => Assert.True(r.Epoch >= epochsAtTakeover[r.Partition], $"partition {r.Partition} epoch went back from {epochsAtTakeover[r.Partition]} to {r.Epoch}"));
        Assert.All(after.Where(r => r.Owner == zombie.Name), r => Assert.True(r.Epoch > epochsAtTakeover[r.Partition], $"the zombie owns partition {r.Partition} at the epoch it lost"));
        var carts = await cluster.CartsAsync();
        CartComparison.AssertEqual(expected, carts, "after the zombie resumed");
        cluster.Log($"the zombie dropped partitions {string.Join(",", Dropped().Order())} without writing (event {LostEventId})");
        Assert.Empty(CartComparison.LedgerProblems(carts));

    }

    /// <summary>
    /// The zombie is frozen while its checkpoint transaction is open on the server (it read the
    /// partition row FOR SHARE and updated it). Failover must not depend on the zombie waking up:
    /// the new owner's acquire (an UPDATE of that row) has to get through within a bounded time.
    /// </summary>
    [Fact]
    public async Task A_silo_frozen_inside_a_checkpoint_transaction_does_not_block_failover()
    {
        var events = Prefix;
        var reference = ReferenceModel.CachedAsync($"rees46-{PrefixLength}", () => events);

        await using var cluster = await TestCluster.StartAsync(output);
        var zombieStart = cluster.StartSiloAsync("zombie", $"--Storage:ConnectionString={cluster.ConnectionStringFor("zombie")}");
        var (silos, gateway) = await cluster.StartSilosAndGatewayAsync(["survivor"]);
        var zombie = await zombieStart;
        var survivor = silos[0];
        var before = (await cluster.WaitForOwnersAsync([zombie.Name, survivor.Name], TimeSpan.FromSeconds(60)))
            .Where(r => r.Owner == zombie.Name).ToDictionary(r => r.Partition, r => r.Epoch);

        using var sender = new EventSender(gateway.Url, events, senders: 4, eventsPerSecond: 1500).Start();

        // Freeze the zombie the moment one of its sessions holds a writing transaction, and keep the
        // freeze only if the transaction is still open afterwards.
        int? frozenIn = null;
        var watch = Stopwatch.StartNew();
        var attempts = 0;
        while (frozenIn is null && !sender.Completion.IsCompleted && watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            var writing = (await cluster.SessionsAsync(zombie.Name)).Where(s => s.HasXid).ToList();
            if (writing.Count == 0)
            {
                await Task.Delay(5);
                continue;
            }

            zombie.Process.Signal(ChildProcess.SigStop);
            attempts++;

            // A COMMIT already on its way finishes within moments; a transaction still open half a
            // second into the freeze waits for the frozen client.
            await Task.Delay(500);
            var open = (await cluster.SessionsAsync(zombie.Name))
                .Where(s => writing.Any(w => w.Pid == s.Pid && w.TransactionStart == s.TransactionStart) && s.TransactionStart is not null).ToList();
            if (open.Count > 0)
            {
                frozenIn = open[0].Pid;
                break;
            }

            zombie.Process.Signal(ChildProcess.SigCont);
        }

        Assert.True(frozenIn is not null, $"could not freeze the zombie inside a transaction ({attempts} attempts)");
        var frozen = Stopwatch.StartNew();
        cluster.Log($"SIGSTOP {zombie} inside a transaction of backend {frozenIn} (attempt {attempts}); it owned {string.Join(",", before.Keys)}\n{await cluster.LockReportAsync()}");

        var takenOver = await Poll.UntilAsync(async () =>
        {
            var rows = await cluster.PartitionsAsync();
            return rows.Where(r => before.ContainsKey(r.Partition)).All(r => r.Owner == survivor.Name && r.Epoch > before[r.Partition]);
        }, TimeSpan.FromSeconds(40));
        var report = await cluster.LockReportAsync();
        cluster.Log($"after {frozen.Elapsed.TotalSeconds:0.0} s: {TestCluster.Describe(await cluster.PartitionsAsync())}\n{report}");
        if (!takenOver)
        {
            // Show the way out: end the frozen silo's server session (what the new owner should do
            // itself) and see whether the takeover then completes.
            await cluster.TerminateBackendAsync(frozenIn.Value);
            var unblocked = Stopwatch.StartNew();
            var thenMoved = await Poll.UntilAsync(async () =>
            {
                var rows = await cluster.PartitionsAsync();
                return rows.Where(r => before.ContainsKey(r.Partition)).All(r => r.Owner == survivor.Name && r.Epoch > before[r.Partition]);
            }, TimeSpan.FromSeconds(40));
            Assert.Fail(
                $"the frozen silo's partitions were not taken over within 40 s: its open checkpoint transaction holds the partition row, and the " +
                $"new owner's acquire (UPDATE partitions ... epoch+1) waits for it for as long as the zombie stays frozen.\n{report}\n" +
                (thenMoved
                    ? $"After pg_terminate_backend({frozenIn}) the takeover completed in {unblocked.Elapsed.TotalSeconds:0.0} s."
                    : $"Even after pg_terminate_backend({frozenIn}) the takeover did not complete: {TestCluster.Describe(await cluster.PartitionsAsync())}"));
        }

        cluster.Log($"partitions taken over {frozen.Elapsed.TotalSeconds:0.0} s after SIGSTOP");

        zombie.Process.Signal(ChildProcess.SigCont);
        await sender.Completion;
        await cluster.WaitCaughtUpAsync(TimeSpan.FromSeconds(90));
        var carts = await cluster.CartsAsync();
        CartComparison.AssertEqual(await reference, carts, "after a zombie frozen inside a transaction resumed");
        Assert.Empty(CartComparison.LedgerProblems(carts));
    }

    /// <summary>
    /// A gateway that has been serving a silo's keys keeps its ownership view for a while. Once the
    /// frozen silo's partitions have moved, a read of one of its carts must reach the new owner,
    /// not hang on the frozen process (which accepts connections but never answers).
    /// </summary>
    [Fact]
    public async Task A_gateway_reads_a_frozen_silos_keys_from_the_new_owner_once_they_moved()
    {
        await using var cluster = await TestCluster.StartAsync(output);
        var zombieStart = cluster.StartSiloAsync("zombie");
        var (silos, gateway) = await cluster.StartSilosAndGatewayAsync(["survivor"]);
        var zombie = await zombieStart;
        var survivor = silos[0];
        await cluster.WaitForOwnersAsync([zombie.Name, survivor.Name], TimeSpan.FromSeconds(60));
        await EventSender.PostAllAsync(gateway.Url, Workload.Events.Take(4000).ToList());
        await cluster.WaitCaughtUpAsync(TimeSpan.FromSeconds(60));
        var owned = (await cluster.PartitionsAsync()).Where(r => r.Owner == zombie.Name).ToDictionary(r => r.Partition, r => r.Epoch);
        var cart = (await cluster.CartPartitionsAsync()).Where(kv => owned.ContainsKey(kv.Value)).Select(kv => kv.Key).Order(StringComparer.Ordinal).First();

        // The gateway serves the cart from its owner, the silo about to freeze.
        using var admin = await AdminClient.LoginAsync(gateway.Url);
        var (status, detail) = await admin.GetCartAsync(cart);
        Assert.True(status == HttpStatusCode.OK, $"GET {cart} before the freeze: {(int)status} {detail}");
        zombie.Process.Signal(ChildProcess.SigStop);
        var frozen = Stopwatch.StartNew();
        Assert.True(await Poll.UntilAsync(async () =>
            (await cluster.PartitionsAsync()).Where(r => owned.ContainsKey(r.Partition)).All(r => r.Owner == survivor.Name && r.Epoch > owned[r.Partition]),
            TimeSpan.FromSeconds(60)), "the frozen silo's partitions did not move");
        var movedAfter = frozen.Elapsed;

        // The same read now: the new owner has the cart; the zombie stays frozen throughout.
        var read = Stopwatch.StartNew();
        (status, detail) = await admin.GetCartAsync(cart, TimeSpan.FromSeconds(15));
        cluster.Log($"partitions moved {movedAfter.TotalSeconds:0.0} s after SIGSTOP; the gateway then answered {(int)status} for {cart} after {read.Elapsed.TotalSeconds:0.0} s ({detail[..Math.Min(120, detail.Length)]})");
        Assert.True(status == HttpStatusCode.OK,
            $"a gateway read of {cart}, issued after the frozen silo's partitions had moved to {survivor.Name}, got no answer within 15 s ({(int)status} {detail}): " +
            "the gateway still forwards to the frozen silo from its cached ownership view (refreshed only after 30 s or on a failure) and waits for it " +
            "up to the HttpClient default timeout of 100 s before it looks again");
        zombie.Process.Signal(ChildProcess.SigCont);
    }

    /// <summary>Waits until the zombie's grains hold the last event of each of its partitions (read through its internal API).</summary>
    private static async Task WaitAppliedInMemoryAsync(HttpClient zombie, List<StorefrontEvent> sent)
    {
        var lastPerPartition = sent.GroupBy(e => Workload.PartitionOf(e.ShopperId)).Select(g => g.Last()).ToList();
        var applied = await Poll.UntilAsync(async () =>
        {
            foreach (var e in lastPerPartition)
            {
                var shopper = await zombie.GetFromJsonAsync($"/internal/shoppers/{Uri.EscapeDataString(e.ShopperId)}", GrainsJsonContext.Default.ShopperState);
                if (shopper is null || !shopper.RecentEventIds.Contains(e.EventId))
                {
                    return false;
                }
            }

            return true;
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));
        Assert.True(applied, "the zombie did not apply the events sent to it");
    }

    private static int PartitionOfLogLine(string line)
    {
        // {"EventId":1005,...,"State":{"Partition":7,...}}
        const string marker = "\"Partition\":";
        var at = line.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
        var end = at;
        while (end < line.Length && char.IsDigit(line[end]))
        {
            end++;
        }

        return int.Parse(line[at..end]);
    }
}
