using CartRecovery.Persistence.Tests.Support;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace CartRecovery.Persistence.Tests.Storage;

// Orleans' grain storage contract, through IGrainStorage, for every provider (one
// subclass each). Each test uses a grain type of its own, so tests sharing a database never meet.
public abstract partial class GrainStorageContractTests : IAsyncLifetime
{
    private readonly string _type = "cart" + Guid.NewGuid().ToString("N")[..10];
    private StorageHost _host = null!;

    protected abstract TestDatabase Database { get; }

    private IGrainStorage Storage => _host.Storage;

    public async Task InitializeAsync() => _host = await StorageHost.StartAsync(Database, reminders: false);

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await Database.DisposeAsync();
    }

    private GrainId Id(string key) => GrainId.Create(_type, key);

    [Fact]
    public async Task MissingRecordReadsAsANewInstanceWithoutETag()
    {
        var state = new GrainState<CartDoc>();

        await Storage.ReadStateAsync("cart", Id("s1/c1"), state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.NotNull(state.State);
        Assert.Empty(state.State.Lines);
    }

    [Fact]
    public async Task WriteThenReadRoundTripsTheStateAndItsETag()
    {
        var id = Id("s1/c1");
        var written = new GrainState<CartDoc>(Samples.Cart());

        await Storage.WriteStateAsync("cart", id, written);
        var read = await ReadAsync<CartDoc>("cart", id);

        Assert.True(written.RecordExists);
        Assert.NotNull(written.ETag);
        Assert.Equal(written.ETag, read.ETag);
        Assert.True(read.RecordExists);
        Samples.AssertSameJson(written.State, read.State);

        var first = written.ETag;
        written.State!.Lines.Add(new CartLine { Sku = "added", Quantity = 1, Price = 1m });
        await Storage.WriteStateAsync("cart", id, written);
        Assert.NotEqual(first, written.ETag);
        Assert.Equal(written.ETag, (await ReadAsync<CartDoc>("cart", id)).ETag);

        // Another state name of the same grain is another record.
        Assert.False((await ReadAsync<CartDoc>("other", id)).RecordExists);
    }

    [Fact]
    public async Task AStaleETagLosesWithInconsistentStateExceptionNamingTheGrain()
    {
        var id = Id("s1/c1");
        var owner = new GrainState<Counter>(new Counter { Value = 1 });
        await Storage.WriteStateAsync("counter", id, owner);
        var stale = await ReadAsync<Counter>("counter", id);
        var staleETag = stale.ETag;
        owner.State!.Value = 2;
        await Storage.WriteStateAsync("counter", id, owner);

        stale.State!.Value = 3;
        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync("counter", id, stale));

        Assert.Equal(owner.ETag, conflict.StoredEtag);
        Assert.Equal(staleETag, conflict.CurrentEtag);
        Assert.Contains($"{_type}/s1/c1", conflict.Message);
        Assert.Equal(2, (await ReadAsync<Counter>("counter", id)).State!.Value);

        // No ETag means "must not exist yet": an existing record refuses it.
        var fresh = new GrainState<Counter>(new Counter { Value = 9 });
        var exists = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync("counter", id, fresh));
        Assert.Null(exists.CurrentEtag);
        Assert.Equal(owner.ETag, exists.StoredEtag);

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.ClearStateAsync("counter", id, stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync("counter", id, new GrainState<Counter>(new Counter(), "not-a-version")));
        Assert.Equal(2, (await ReadAsync<Counter>("counter", id)).State!.Value);
    }

    [Fact]
    public async Task OfTwoWritersHoldingTheSameETagExactlyOneWins()
    {
        for (var round = 0; round < 40; round++)
        {
            var id = Id($"race/{round}");

            // Both create the record (no ETag), then both update from the same ETag.
            var created = await RaceAsync(id, null);
            var stored = await ReadAsync<Counter>("counter", id);
            Assert.Equal(created, stored.State!.Writer);

            var updated = await RaceAsync(id, stored.ETag);
            Assert.Equal(updated, (await ReadAsync<Counter>("counter", id)).State!.Writer);
        }
    }

    [Fact]
    public async Task ClearDeletesTheRecordAndANewWriteStartsOver()
    {
        var id = Id("s1/c1");
        var state = new GrainState<Counter>(new Counter { Value = 5 });
        await Storage.WriteStateAsync("counter", id, state);

        await Storage.ClearStateAsync("counter", id, state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal(0, state.State!.Value);
        Assert.False((await ReadAsync<Counter>("counter", id)).RecordExists);
        Assert.Null(await _host.Store.ReadJsonAsync(_type, "s1/c1", "counter", CancellationToken.None));

        state.State.Value = 6;
        await Storage.WriteStateAsync("counter", id, state);
        Assert.Equal(6, (await ReadAsync<Counter>("counter", id)).State!.Value);

        // Clearing what does not exist, holding no ETag, is fine.
        await Storage.ClearStateAsync("counter", Id("never/written"), new GrainState<Counter>());
    }

    // Two writers race from etag; asserts one won and one got the exception, returns the winner.
    private async Task<string> RaceAsync(GrainId id, string? etag)
    {
        async Task<(string Writer, Exception? Error)> Attempt(string writer)
        {
            try
            {
                await Storage.WriteStateAsync("counter", id, new GrainState<Counter>(new Counter { Writer = writer }, etag));
                return (writer, null);
            }
            catch (Exception e)
            {
                return (writer, e);
            }
        }

        var results = await Task.WhenAll(Task.Run(() => Attempt("x")), Task.Run(() => Attempt("y")));
        var winner = Assert.Single(results, r => r.Error is null);
        Assert.IsType<InconsistentStateException>(Assert.Single(results, r => r.Error is not null).Error);
        return winner.Writer;
    }

    private async Task<GrainState<T>> ReadAsync<T>(string stateName, GrainId id)
    {
        var state = new GrainState<T>();
        await Storage.ReadStateAsync(stateName, id, state);
        return state;
    }
}
