using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CartRecovery.Gateway.Tests.Support;

/// <summary>Storefront events in the wire format (contract v1, snake_case).</summary>
public static class Events
{
    public static string NewId(string prefix = "e") => prefix + "-" + Guid.NewGuid().ToString("N");

    public static JsonObject Make(string type, string shopperId, string? cartId = null, string? eventId = null, string sessionId = "s-1", DateTimeOffset? at = null)
    {
        var e = new JsonObject
        {
            ["event_id"] = eventId ?? NewId(),
            ["type"] = type,
            ["shopper_id"] = shopperId,
            ["session_id"] = sessionId,
            ["occurred_at"] = (at ?? DateTimeOffset.UtcNow).ToString("O", CultureInfo.InvariantCulture),
        };
        if (cartId is not null)
        {
            e["cart_id"] = cartId;
        }

        return e;
    }

    public static JsonObject AddToCart(string shopperId, string cartId, string sku = "SKU-1", double price = 25, int quantity = 1, string? eventId = null)
    {
        var e = Make("add_to_cart", shopperId, cartId, eventId);
        e["item"] = new JsonObject { ["sku"] = sku, ["name"] = "Thing " + sku, ["price"] = price, ["currency"] = "EUR", ["quantity"] = quantity };
        return e;
    }

    public static JsonObject PageView(string shopperId, string url = "https://shop.example/") =>
        With(Make("page_view", shopperId), "page", new JsonObject { ["url"] = url });

    public static JsonObject NudgeShown(string shopperId, string nudgeId) =>
        With(Make("nudge_shown", shopperId), "nudge", new JsonObject { ["nudge_id"] = nudgeId });

    public static JsonObject With(JsonObject e, string field, JsonNode? value)
    {
        e[field] = value;
        return e;
    }

    public static JsonArray Batch(params JsonNode[] events) => new(events.Select(e => e.DeepClone()).ToArray());

    /// <summary>Total quantity of a cart's lines (from the admin API's cart JSON).</summary>
    public static int Quantity(JsonElement cart) => cart.GetProperty("lines").EnumerateArray().Sum(l => l.GetProperty("quantity").GetInt32());
}
