using System.Text.Json;
using System.Text.Json.Nodes;

namespace CartRecovery.Persistence.Tests.Support;

internal static class Samples
{
    public static CartDoc Cart(string shopper = "s1") => new()
    {
        Shopper = shopper,
        UpdatedAt = new DateTimeOffset(2025, 11, 28, 9, 30, 15, TimeSpan.FromHours(2)).AddTicks(1234567),
        AbandonedAt = null,
        Discount = 12.50m,
        ShipTo = new Address { City = "Lyon", Zip = null },
        Stage = CartStage.Abandoned,
        Scores = new() { ["recover"] = 0.8125, ["churn"] = 1e-7 },
        Lines =
        [
            new CartLine { Sku = "sku-1", Quantity = 2, Price = 19.99m, Note = "gift \"wrap\" ✓" },
            new CartLine { Sku = "sku-2", Quantity = 1, Price = 0.1m, Note = null },
        ],
    };

    // Equal when both serialize to equal JSON, property order aside: PostgreSQL's jsonb keeps
    // objects by key, so a dictionary comes back in another order.
    public static void AssertSameJson<T>(T expected, T actual)
    {
        var (e, a) = (JsonSerializer.Serialize(expected), JsonSerializer.Serialize(actual));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(e), JsonNode.Parse(a)), $"expected {e}\nactual   {a}");
    }
}
