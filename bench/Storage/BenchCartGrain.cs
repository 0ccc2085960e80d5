using Orleans;
using Orleans.Runtime;

namespace CartRecovery.Bench.Storage;

/// <summary>The grain both providers persist: one <c>WriteStateAsync</c> of a ~500-byte cart per call.</summary>
public interface IBenchCartGrain : IGrainWithIntegerKey
{
    Task<int> TouchAsync();
}

[GenerateSerializer]
[Alias("bench.cart")]
public sealed class BenchCart
{
    [Id(0)]
    public string Shopper { get; set; } = "";

    [Id(1)]
    public string Stage { get; set; } = "active";

    [Id(2)]
    public DateTimeOffset UpdatedAt { get; set; }

    [Id(3)]
    public int Writes { get; set; }

    [Id(4)]
    public List<BenchCartLine> Lines { get; set; } = [];

    /// <summary>A cart of four lines: about 500 bytes as JSON.</summary>
    public static BenchCart Create(long key) => new()
    {
        Shopper = $"shopper-{key:D8}",
        UpdatedAt = DateTimeOffset.UnixEpoch,
        Lines = [.. Enumerable.Range(1, 4).Select(i => new BenchCartLine
        {
            Sku = $"sku-{key % 9973:D5}-{i}",
            Category = "electronics.smartphone",
            Quantity = i,
            Price = 19.99m * i,
        })],
    };
}

[GenerateSerializer]
[Alias("bench.cart-line")]
public sealed class BenchCartLine
{
    [Id(0)]
    public string Sku { get; set; } = "";

    [Id(1)]
    public string Category { get; set; } = "";

    [Id(2)]
    public int Quantity { get; set; }

    [Id(3)]
    public decimal Price { get; set; }
}

[GrainType("benchcart")]
public sealed class BenchCartGrain([PersistentState("cart", BenchCartGrain.StorageName)] IPersistentState<BenchCart> cart) : Grain, IBenchCartGrain
{
    public const string StorageName = "benchstore";

    public async Task<int> TouchAsync()
    {
        if (!cart.RecordExists && cart.State.Lines.Count == 0)
        {
            cart.State = BenchCart.Create(this.GetPrimaryKeyLong());
        }

        cart.State.Writes++;
        cart.State.UpdatedAt = DateTimeOffset.UtcNow;
        await cart.WriteStateAsync();
        return cart.State.Writes;
    }
}
