using System.Text.Json.Serialization;

namespace CartRecovery.Grains.Abstractions.Events;

/// <summary>
/// Event contract v1: one thing a shopper did on the storefront. Field names are the wire names
/// (docs/events.md). Which optional blocks are required depends on <see cref="Type"/>.
/// </summary>
public sealed class StorefrontEvent
{
    [JsonPropertyName("event_id")] public string EventId { get; set; } = "";

    [JsonPropertyName("type")] public string Type { get; set; } = "";

    [JsonPropertyName("shopper_id")] public string ShopperId { get; set; } = "";

    [JsonPropertyName("session_id")] public string SessionId { get; set; } = "";

    [JsonPropertyName("cart_id")] public string? CartId { get; set; }

    [JsonPropertyName("occurred_at")] public DateTimeOffset OccurredAt { get; set; }

    [JsonPropertyName("item")] public ItemInfo? Item { get; set; }

    [JsonPropertyName("order")] public OrderInfo? Order { get; set; }

    [JsonPropertyName("page")] public PageInfo? Page { get; set; }

    [JsonPropertyName("consent")] public ConsentInfo? Consent { get; set; }

    [JsonPropertyName("customer")] public CustomerInfo? Customer { get; set; }

    [JsonPropertyName("nudge")] public NudgeRef? Nudge { get; set; }

    /// <summary>Optional: "desktop", "mobile", "tablet".</summary>
    [JsonPropertyName("device")] public string? Device { get; set; }
}

public sealed class ItemInfo
{
    [JsonPropertyName("sku")] public string Sku { get; set; } = "";

    [JsonPropertyName("name")] public string? Name { get; set; }

    [JsonPropertyName("price")] public double Price { get; set; }

    [JsonPropertyName("currency")] public string? Currency { get; set; }

    [JsonPropertyName("quantity")] public int Quantity { get; set; } = 1;

    [JsonPropertyName("category")] public string? Category { get; set; }
}

public sealed class OrderInfo
{
    [JsonPropertyName("order_id")] public string OrderId { get; set; } = "";

    [JsonPropertyName("total")] public double Total { get; set; }

    [JsonPropertyName("currency")] public string? Currency { get; set; }

    [JsonPropertyName("skus")] public List<string> Skus { get; set; } = new();
}

public sealed class PageInfo
{
    [JsonPropertyName("url")] public string? Url { get; set; }

    [JsonPropertyName("category")] public string? Category { get; set; }
}

public sealed class ConsentInfo
{
    [JsonPropertyName("marketing")] public bool Marketing { get; set; }
}

public sealed class CustomerInfo
{
    [JsonPropertyName("id")] public string? Id { get; set; }

    [JsonPropertyName("email")] public string? Email { get; set; }
}

/// <summary>Which nudge a nudge_shown / nudge_clicked / nudge_dismissed event is about.</summary>
public sealed class NudgeRef
{
    [JsonPropertyName("nudge_id")] public string NudgeId { get; set; } = "";
}
