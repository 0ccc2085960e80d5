using System.Text.Json;
using CartRecovery.Persistence.Tests.Support;
using Orleans;

namespace CartRecovery.Persistence.Tests.Storage;

// The reports API and the JSON form of stored states.
public abstract partial class GrainStorageContractTests
{
    [Fact]
    public async Task TheReportsApiScansFindsKeysAndReadsStoredJson()
    {
        string[] keys = ["s1/c1", "s2/c1", "s3/xc1", "c1", "s4/c2"];
        foreach (var key in keys)
        {
            await Storage.WriteStateAsync("cart", Id(key), new GrainState<CartDoc>(Samples.Cart(key.Split('/')[0])));
        }

        await Storage.WriteStateAsync("meta", Id("s5/c1"), new GrainState<Counter>(new Counter()));
        await Storage.WriteStateAsync("cart", GrainId.Create(_type + "x", "s6/c1"), new GrainState<CartDoc>(Samples.Cart()));
        var store = _host.Store;

        var scanned = new List<(string Key, string Json)>();
        await foreach (var row in store.ScanAsync(_type, "cart", CancellationToken.None))
        {
            scanned.Add(row);
        }

        Assert.Equal(keys.Order(), scanned.Select(r => r.Key).Order());
        Assert.All(scanned, r => Assert.Equal(r.Key.Split('/')[0], JsonSerializer.Deserialize<CartDoc>(r.Json)!.Shopper));
        // Keys of the grain type whatever their state names; "s3/xc1" merely ends the same way.
        Assert.Equal(["c1", "s1/c1", "s2/c1", "s5/c1"], await store.FindKeysAsync(_type, "c1", CancellationToken.None));
        Assert.Equal(["c1", "s1/c1", "s2/c1", "s5/c1"], await store.FindKeysAsync(_type, "/c1", CancellationToken.None));
        Assert.Empty(await store.FindKeysAsync(_type, "c9", CancellationToken.None));
        var json = await store.ReadJsonAsync(_type, "s4/c2", "cart", CancellationToken.None);
        Assert.Equal("s4", JsonSerializer.Deserialize<CartDoc>(json!)!.Shopper);
        Assert.Null(await store.ReadJsonAsync(_type, "s4/c2", "meta", CancellationToken.None));
        Assert.True(await store.PingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task JsonRoundTripKeepsNestedObjectsOffsetsDecimalsAndNulls()
    {
        var cart = Samples.Cart();
        var id = Id("s1/c1");
        await Storage.WriteStateAsync("cart", id, new GrainState<CartDoc>(cart));

        var read = (await ReadAsync<CartDoc>("cart", id)).State!;

        Samples.AssertSameJson(cart, read);
        Assert.Equal(cart.UpdatedAt, read.UpdatedAt);
        Assert.Equal(TimeSpan.FromHours(2), read.UpdatedAt.Offset);
        Assert.Null(read.AbandonedAt);
        Assert.Null(read.ShipTo!.Zip);
        Assert.Equal(0.1m, read.Lines[1].Price);
        Assert.Equal("gift \"wrap\" ✓", read.Lines[0].Note);
        Assert.Equal(1e-7, read.Scores["churn"]);
    }

    [Fact]
    public async Task TheJsonOptionsOfTheProviderOptionsAreUsed()
    {
        await using var camel = await StorageHost.StartAsync(Database, json: new JsonSerializerOptions(JsonSerializerDefaults.Web));
        await camel.Storage.WriteStateAsync("cart", Id("camel/1"), new GrainState<CartDoc>(Samples.Cart()));

        var json = await camel.Store.ReadJsonAsync(_type, "camel/1", "cart", CancellationToken.None);

        Assert.Contains("\"shopper\"", json);
        Assert.DoesNotContain("\"Shopper\"", json);
        var read = new GrainState<CartDoc>();
        await camel.Storage.ReadStateAsync("cart", Id("camel/1"), read);
        Assert.Equal("s1", read.State!.Shopper);
    }
}
