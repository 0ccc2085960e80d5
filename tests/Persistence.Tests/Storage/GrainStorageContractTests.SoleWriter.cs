using CartRecovery.Persistence.Diagnostics;
using CartRecovery.Persistence.Tests.Support;
using Orleans;

namespace CartRecovery.Persistence.Tests.Storage;

// A storage that is its database's only writer skips reading keys it knows were never stored.
public abstract partial class GrainStorageContractTests
{
    [Fact]
    public async Task ASoleWriterSkipsReadingKeysNeverStoredAndFindsEveryKeyStoredBeforeOrSinceItOpened()
    {
        // Stored before the sole writer opens (by an earlier run of it).
        await Storage.WriteStateAsync("counter", Id("before"), new GrainState<Counter>(new Counter { Value = 7 }));
        await using var sole = await StorageHost.StartAsync(Database, soleWriter: true);
        var queries = sole.Meters.Sum(StorageMetrics.ReadQueries);

        var never = new GrainState<Counter>(new Counter { Value = 99 }, "stale");
        await sole.Storage.ReadStateAsync("counter", Id("never"), never);

        Assert.False(never.RecordExists);
        Assert.Null(never.ETag);
        Assert.Equal(0, never.State!.Value);
        Assert.Equal(queries, sole.Meters.Sum(StorageMetrics.ReadQueries));

        var before = new GrainState<Counter>();
        await sole.Storage.ReadStateAsync("counter", Id("before"), before);
        Assert.True(before.RecordExists);
        Assert.Equal(7, before.State!.Value);

        // Inserted since it opened, concurrently: every one reads back.
        var ids = Enumerable.Range(0, 500).Select(i => Id($"since/{i}")).ToList();
        await Task.WhenAll(ids.Select((id, i) => sole.Storage.WriteStateAsync("counter", id, new GrainState<Counter>(new Counter { Value = i }))));
        var read = await Task.WhenAll(ids.Select(async id =>
        {
            var state = new GrainState<Counter>();
            await sole.Storage.ReadStateAsync("counter", id, state);
            return state;
        }));
        Assert.All(read, s => Assert.True(s.RecordExists));
        Assert.Equal(Enumerable.Range(0, 500), read.Select(s => s.State!.Value));
    }
}
