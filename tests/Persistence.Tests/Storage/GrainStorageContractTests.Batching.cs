using CartRecovery.Persistence.Diagnostics;
using CartRecovery.Persistence.Tests.Support;
using Orleans;
using Orleans.Storage;

namespace CartRecovery.Persistence.Tests.Storage;

// Group commit and read coalescing, seen through the storage meter.
public abstract partial class GrainStorageContractTests
{
    [Fact]
    public async Task ConcurrentWritesOfAThousandGrainsCommitInFarFewerTransactions()
    {
        var transactions = _host.Meters.Sum(StorageMetrics.TransactionsCommitted);
        var grains = Enumerable.Range(0, 1000).Select(i => (Id: Id($"s{i}/c{i}"), State: new GrainState<Counter>(new Counter { Value = i }))).ToList();

        await Task.WhenAll(grains.Select(g => Task.Run(() => Storage.WriteStateAsync("counter", g.Id, g.State))));

        Assert.Equal(1000, _host.Meters.Sum(StorageMetrics.StatesWritten));
        Assert.InRange(_host.Meters.Sum(StorageMetrics.TransactionsCommitted) - transactions, 1, 100);
        var read = await Task.WhenAll(grains.Select(g => ReadAsync<Counter>("counter", g.Id)));
        for (var i = 0; i < grains.Count; i++)
        {
            Assert.Equal(grains[i].State.ETag, read[i].ETag);
            Assert.Equal(i, read[i].State!.Value);
        }
    }

    [Fact]
    public async Task AConflictInsideABatchFailsOnlyItsOwnCallerAndWritesOfOneGrainRunInOrder()
    {
        var stale = new GrainState<Counter>(new Counter { Value = 1 });
        await Storage.WriteStateAsync("counter", Id("stale"), stale);
        await Storage.WriteStateAsync("counter", Id("stale"), new GrainState<Counter>(new Counter { Value = 2 }, stale.ETag));
        var twin = new GrainState<Counter>(new Counter());
        await Storage.WriteStateAsync("counter", Id("twin"), twin);
        var transactions = _host.Meters.Sum(StorageMetrics.TransactionsCommitted);

        Task lead;
        Task[] others, twins, writeThenClear;
        Task staleWrite;
        await using (await Database.BlockWritesAsync())
        {
            // The writer's next transaction waits on the lock; everything queued meanwhile goes into the one after.
            lead = Storage.WriteStateAsync("counter", Id("lead"), new GrainState<Counter>(new Counter()));
            await Database.WaitForBlockedWriterAsync();
            others = Enumerable.Range(0, 200).Select(i => Storage.WriteStateAsync("counter", Id($"new/{i}"), new GrainState<Counter>(new Counter { Value = i }))).ToArray();
            staleWrite = Storage.WriteStateAsync("counter", Id("stale"), stale);
            twins = new[] { "first", "second" }.Select(w => Storage.WriteStateAsync("counter", Id("twin"), new GrainState<Counter>(new Counter { Writer = w }, twin.ETag))).ToArray();
            writeThenClear = [Storage.WriteStateAsync("counter", Id("wc"), new GrainState<Counter>(new Counter())), Storage.ClearStateAsync("counter", Id("wc"), new GrainState<Counter>())];
            Assert.DoesNotContain(others.Append(lead), t => t.IsCompleted);
        }

        await lead;
        await Task.WhenAll(others);
        await Assert.ThrowsAsync<InconsistentStateException>(() => staleWrite);

        // Same grain, same batch: as if sequential, so the first holder of the ETag wins and the second sees its write.
        await twins[0];
        await Assert.ThrowsAsync<InconsistentStateException>(() => twins[1]);
        Assert.Equal("first", (await ReadAsync<Counter>("counter", Id("twin"))).State!.Writer);
        await writeThenClear[0];
        await Assert.ThrowsAsync<InconsistentStateException>(() => writeThenClear[1]);

        Assert.InRange(_host.Meters.Sum(StorageMetrics.TransactionsCommitted) - transactions, 1, 2);
        // Where the database shows the writer blocked, everything queued behind the lock is one batch. SQLite cannot
        // show it, so the writer may take the lead write together with a first few of the others: 206 writes in at
        // most two transactions leave at least half of them in one.
        var largest = _host.Meters.Max(StorageMetrics.BatchSize);
        Assert.True(largest >= (Database.ShowsBlockedWriter ? 200 : 103), $"largest batch {largest}");
        Assert.Equal(2, (await ReadAsync<Counter>("counter", Id("stale"))).State!.Value);
        Assert.Equal(199, (await ReadAsync<Counter>("counter", Id("new/199"))).State!.Value);
    }

    [Fact]
    public async Task ConcurrentReadsAreAnsweredByFewQueries()
    {
        var ids = Enumerable.Range(0, 300).Select(i => Id($"r{i}/c")).ToList();
        await Task.WhenAll(ids.Select((id, i) => Storage.WriteStateAsync("counter", id, new GrainState<Counter>(new Counter { Value = i }))));
        var (reads, queries) = (_host.Meters.Sum(StorageMetrics.Reads), _host.Meters.Sum(StorageMetrics.ReadQueries));

        var states = await Task.WhenAll(ids.Select(id => ReadAsync<Counter>("counter", id)));

        Assert.Equal(Enumerable.Range(0, 300), states.Select(s => s.State!.Value));
        Assert.Equal(300, _host.Meters.Sum(StorageMetrics.Reads) - reads);
        Assert.InRange(_host.Meters.Sum(StorageMetrics.ReadQueries) - queries, 1, 30);
    }

    [Fact]
    public async Task AFailedTransactionFailsEveryCallerInItAndTheStorageRecovers()
    {
        await Database.ExecuteAsync("ALTER TABLE grain_state RENAME TO grain_state_away");
        try
        {
            var writes = Enumerable.Range(0, 20).Select(i => Storage.WriteStateAsync("counter", Id($"f{i}"), new GrainState<Counter>(new Counter()))).ToArray();
            foreach (var write in writes)
            {
                var error = await Record.ExceptionAsync(() => write);
                Assert.NotNull(error);
                Assert.IsNotType<InconsistentStateException>(error);
            }

            Assert.True(_host.Meters.Sum(StorageMetrics.TransactionsFailed) >= 1);
        }
        finally
        {
            await Database.ExecuteAsync("ALTER TABLE grain_state_away RENAME TO grain_state");
        }

        var state = new GrainState<Counter>(new Counter { Value = 7 });
        await Storage.WriteStateAsync("counter", Id("f0"), state);
        Assert.Equal(7, (await ReadAsync<Counter>("counter", Id("f0"))).State!.Value);
    }

    [Fact]
    public async Task StoppingTheSiloCommitsTheQueuedWritesFirst()
    {
        var stopping = await StorageHost.StartAsync(Database);
        var storage = stopping.Storage;
        Task[] writes;
        Task stopped;
        await using (await Database.BlockWritesAsync())
        {
            writes = Enumerable.Range(0, 50).Select(i => storage.WriteStateAsync("counter", Id($"stop/{i}"), new GrainState<Counter>(new Counter { Value = i }))).ToArray();
            await Database.WaitForBlockedWriterAsync();
            stopped = stopping.DisposeAsync().AsTask();
            Assert.False(stopped.IsCompleted, "the stop did not wait for the queued writes");
        }

        await stopped;
        await Task.WhenAll(writes);
        Assert.Equal(49, (await ReadAsync<Counter>("counter", Id("stop/49"))).State!.Value);
        var late = await Record.ExceptionAsync(() => storage.WriteStateAsync("counter", Id("late"), new GrainState<Counter>(new Counter())));
        Assert.IsAssignableFrom<InvalidOperationException>(late);
    }
}
