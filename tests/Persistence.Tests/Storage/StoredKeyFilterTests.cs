using CartRecovery.Persistence.Internal;

namespace CartRecovery.Persistence.Tests.Storage;

public sealed class StoredKeyFilterTests
{
    [Fact]
    public void EveryKeyAddedIsFoundAsTheFilterGrowsAndFewKeysNeverAddedAre()
    {
        var filter = new StoredKeyFilter(expectedKeys: 0); // the smallest first segment: 65,536 keys
        const int added = 200_000;
        for (var i = 0; i < added; i++)
        {
            filter.Add(new StateKey("shopper", $"u-{i}", "shopper"));
        }

        Assert.Equal(added, filter.Count);
        for (var i = 0; i < added; i++)
        {
            Assert.True(filter.MayContain(new StateKey("shopper", $"u-{i}", "shopper")), $"u-{i} was added but is not found");
        }

        // The same key under another type or state name is another key.
        var falsePositives = Enumerable.Range(0, 100_000).Count(i =>
            filter.MayContain(new StateKey("shopper", $"v-{i}", "shopper")) | filter.MayContain(new StateKey("cart", $"u-{i}", "shopper")));
        Assert.InRange(falsePositives, 0, 6_000);
    }
}
