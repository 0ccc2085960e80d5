using CartRecovery.Persistence.Diagnostics;
using CartRecovery.Persistence.Tests.Support;
using Orleans;
using Orleans.Runtime;

namespace CartRecovery.Persistence.Tests.Reminders;

// Orleans' reminder table contract, through IReminderTable, for every provider.
public abstract class ReminderTableContractTests : IAsyncLifetime
{
    private StorageHost _host = null!;

    protected abstract TestDatabase Database { get; }

    private IReminderTable Table => _host.Reminders;

    public async Task InitializeAsync()
    {
        _host = await StorageHost.StartAsync(Database, reminders: true);
        await Table.TestOnlyClearTable();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await Database.DisposeAsync();
    }

    [Fact]
    public async Task UpsertThenReadRowReturnsTheEntryAndEachUpsertANewETag()
    {
        var entry = Entry(NewGrain(), "foo/bar\\#b_a_z?");

        var etag = await Table.UpsertRow(entry);
        var read = await Table.ReadRow(entry.GrainId, entry.ReminderName);

        Assert.NotNull(read);
        Assert.Equal(etag, read.ETag);
        Assert.Equal(entry.GrainId, read.GrainId);
        Assert.Equal(entry.ReminderName, read.ReminderName);
        Assert.Equal(entry.StartAt, read.StartAt);
        Assert.Equal(entry.Period, read.Period);

        entry.StartAt = entry.StartAt.AddMinutes(5);
        var second = await Table.UpsertRow(entry);
        Assert.NotEqual(etag, second);
        Assert.Equal(entry.StartAt, (await Table.ReadRow(entry.GrainId, entry.ReminderName))!.StartAt);
        Assert.Null(await Table.ReadRow(entry.GrainId, "missing"));
    }

    [Fact]
    public async Task RemoveRowNeedsTheCurrentETag()
    {
        var entry = Entry(NewGrain(), "r");
        var first = await Table.UpsertRow(entry);
        var current = await Table.UpsertRow(entry);

        Assert.False(await Table.RemoveRow(entry.GrainId, entry.ReminderName, first!));
        Assert.False(await Table.RemoveRow(entry.GrainId, "other", current!));
        Assert.False(await Table.RemoveRow(entry.GrainId, entry.ReminderName, "not-an-etag"));
        Assert.True(await Table.RemoveRow(entry.GrainId, entry.ReminderName, current!));
        Assert.False(await Table.RemoveRow(entry.GrainId, entry.ReminderName, current!));
        Assert.Null(await Table.ReadRow(entry.GrainId, entry.ReminderName));
    }

    [Fact]
    public async Task ReadRowsOfAGrainReturnsOnlyItsReminders()
    {
        var (a, b) = (NewGrain(), NewGrain());
        await Task.WhenAll(Table.UpsertRow(Entry(a, "one")), Table.UpsertRow(Entry(a, "two")), Table.UpsertRow(Entry(b, "one")));

        var rows = await Table.ReadRows(a);

        Assert.Equal(["one", "two"], rows.Reminders.Select(r => r.ReminderName).Order());
        Assert.All(rows.Reminders, r => Assert.Equal(a, r.GrainId));
    }

    [Fact]
    public async Task ReadRowsByRangeFollowsTheRingIncludingWrapAround()
    {
        var grains = Enumerable.Range(0, 200).Select(_ => NewGrain()).ToList();
        await Task.WhenAll(grains.Select(g => Table.UpsertRow(Entry(g, "tick"))));
        var hashes = grains.Select(g => g.GetUniformHashCode()).ToList();
        var sorted = hashes.Order().ToList();

        // (begin, end] when begin < end; otherwise above begin or up to end; begin == end is the whole ring.
        (uint Begin, uint End)[] ranges =
        [
            (0, uint.MaxValue), (0, 0), (uint.MaxValue, uint.MaxValue), (sorted[10], sorted[50]), (sorted[50], sorted[10]),
            (sorted[199], sorted[0]), (sorted[0], sorted[199]), (uint.MaxValue / 2, uint.MaxValue / 4), (5, 5),
        ];
        foreach (var (begin, end) in ranges.Concat(Enumerable.Range(0, 20).Select(_ => ((uint)Random.Shared.NextInt64(0, 1L << 32), (uint)Random.Shared.NextInt64(0, 1L << 32)))))
        {
            var expected = hashes.Where(h => begin < end ? h > begin && h <= end : h > begin || h <= end).Order();
            var rows = await Table.ReadRows(begin, end);
            Assert.Equal(expected, rows.Reminders.Select(r => r.GrainId.GetUniformHashCode()).Order());
        }
    }

    [Fact]
    public async Task ConcurrentUpsertsOfOneReminderAllGetDistinctETags()
    {
        var grain = NewGrain();

        var etags = await Task.WhenAll(Enumerable.Range(1, 10).Select(i => Task.Run(() =>
        {
            var entry = Entry(grain, "same");
            entry.StartAt = entry.StartAt.AddSeconds(i);
            return Table.UpsertRow(entry);
        })));

        Assert.Equal(10, etags.Distinct().Count());
        Assert.Contains((await Table.ReadRow(grain, "same"))!.ETag, etags);
    }

    [Fact]
    public async Task ClearEmptiesTheTable()
    {
        await Table.UpsertRow(Entry(NewGrain(), "a"));

        await Table.TestOnlyClearTable();

        Assert.Empty((await Table.ReadRows(0, 0)).Reminders);
    }

    [Fact]
    public async Task RemindersAndStatesQueuedTogetherShareATransaction()
    {
        var transactions = _host.Meters.Sum(StorageMetrics.TransactionsCommitted);
        var grain = GrainId.Create("cart", "s1/" + Guid.NewGuid().ToString("N"));
        Task lead, write;
        Task<string?> upsert;
        await using (await Database.BlockWritesAsync())
        {
            lead = _host.Storage.WriteStateAsync("cart", GrainId.Create("cart", "lead/" + Guid.NewGuid().ToString("N")), new GrainState<Counter>(new Counter()));
            await Database.WaitForBlockedWriterAsync();
            write = _host.Storage.WriteStateAsync("cart", grain, new GrainState<Counter>(new Counter { Value = 1 }));
            upsert = Table.UpsertRow(Entry(grain, "nudge"));
        }

        await Task.WhenAll(lead, write, upsert);
        Assert.NotNull(await upsert);
        Assert.InRange(_host.Meters.Sum(StorageMetrics.TransactionsCommitted) - transactions, 1, 2);
        await AssertSameTransactionAsync(grain, "nudge");
    }

    [Fact]
    public async Task AnErrorInABatchRollsBackEveryWriteInIt()
    {
        await Database.ExecuteAsync(Database.RefuseRemindersNamed("boom"));
        var grain = GrainId.Create("cart", "s1/" + Guid.NewGuid().ToString("N"));
        Task lead, write;
        Task<string?> upsert;
        await using (await Database.BlockWritesAsync())
        {
            lead = _host.Storage.WriteStateAsync("cart", GrainId.Create("cart", "lead/" + Guid.NewGuid().ToString("N")), new GrainState<Counter>(new Counter()));
            await Database.WaitForBlockedWriterAsync();
            write = _host.Storage.WriteStateAsync("cart", grain, new GrainState<Counter>(new Counter { Value = 1 }));
            upsert = Table.UpsertRow(Entry(grain, "boom"));
        }

        Assert.NotNull(await Record.ExceptionAsync(() => upsert));
        var writeError = await Record.ExceptionAsync(() => write);
        if (Database.ShowsBlockedWriter)
        {
            // The lead committed alone; the write shared the refused reminder's transaction.
            await lead;
            Assert.NotNull(writeError);
        }

        // Whichever writes shared the failed transaction failed with it, and none of them is stored.
        var state = new GrainState<Counter>();
        await _host.Storage.ReadStateAsync("cart", grain, state);
        Assert.Equal(writeError is null, state.RecordExists);
    }

    // Asserts the grain's state and reminder were written by one transaction, where the database can tell.
    protected virtual Task AssertSameTransactionAsync(GrainId grain, string reminderName) => Task.CompletedTask;

    private static GrainId NewGrain() =>
        GrainId.Create(GrainType.Create("remindable"), GrainIdKeyExtensions.CreateGuidKey(Guid.NewGuid(), "ext/#?"));

    private static ReminderEntry Entry(GrainId grain, string name)
    {
        var now = DateTime.UtcNow;
        return new ReminderEntry
        {
            GrainId = grain,
            ReminderName = name,
            StartAt = new DateTime(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, DateTimeKind.Utc),
            Period = TimeSpan.FromMinutes(1),
        };
    }
}
