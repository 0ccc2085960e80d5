namespace CartRecovery.Runtime.Tests.Core;

public sealed class StableHashTests
{
    [Theory]
    [InlineData("", 0x811c9dc5u)]
    [InlineData("a", 0xe40c292cu)]
    [InlineData("foobar", 0xbf9cf968u)]
    public void Fnv1a_matches_the_published_test_vectors(string input, uint expected) =>
        Assert.Equal(expected, StableHash.Fnv1a(input));

    [Fact]
    public void Partitions_spread_keys_evenly_and_owner_keys_colocate()
    {
        var map = new PartitionMap(64);
        var counts = new int[64];
        for (var i = 0; i < 64_000; i++)
        {
            counts[map.OfKey("shopper-" + i)]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 800, 1200));
        Assert.Equal(map.OfKey("s-42"), map.Of(new GrainId("cart", "s-42/cart-9")));
        Assert.Equal(map.OfKey("s-42"), map.Of(new GrainId("session", "s-42/sess-1")));
    }
}
