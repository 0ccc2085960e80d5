using Orleans;
using System.Text.Json.Serialization;

namespace CartRecovery.Grains.Abstractions.Events;

/// <summary>
/// Event contract v1: one thing a shopper did on the storefront. Field names are the wire names
/// (docs/events.md). Which optional blocks are required depends on <see cref="Type"/>.
/// </summary>
[GenerateSerializer, Alias("cr.StorefrontEvent")]
public sealed class StorefrontEvent
{
    [Id(0)] [JsonPropertyName("event_id")] public string EventId { get; set; } = "";

    [Id(1)] [JsonPropertyName("type")] public string Type { get; set; } = "";

    [Id(2)] [JsonPropertyName("shopper_id")] public string ShopperId { get; set; } = "";

    [Id(3)] [JsonPropertyName("session_id")] public string SessionId { get; set; } = "";

    [Id(4)] [JsonPropertyName("cart_id")] public string? CartId { get; set; }

    [Id(5)] [JsonPropertyName("occurred_at")] public DateTimeOffset OccurredAt { get; set; }

    [Id(6)] [JsonPropertyName("item")] public ItemInfo? Item { get; set; }

    [Id(7)] [JsonPropertyName("order")] public OrderInfo? Order { get; set; }

    [Id(8)] [JsonPropertyName("page")] public PageInfo? Page { get; set; }

    [Id(9)] [JsonPropertyName("consent")] public ConsentInfo? Consent { get; set; }

    [Id(10)] [JsonPropertyName("customer")] public CustomerInfo? Customer { get; set; }

    [Id(11)] [JsonPropertyName("nudge")] public NudgeRef? Nudge { get; set; }

    /// <summary>Optional: "desktop", "mobile", "tablet".</summary>
    [Id(12)] [JsonPropertyName("device")] public string? Device { get; set; }
}

[GenerateSerializer, Alias("cr.ItemInfo")]
public sealed class ItemInfo
{
    [Id(0)] [JsonPropertyName("sku")] public string Sku { get; set; } = "";

    [Id(1)] [JsonPropertyName("name")] public string? Name { get; set; }

    [Id(2)] [JsonPropertyName("price")] public double Price { get; set; }

    [Id(3)] [JsonPropertyName("currency")] public string? Currency { get; set; }

    [Id(4)] [JsonPropertyName("quantity")] public int Quantity { get; set; } = 1;

    [Id(5)] [JsonPropertyName("category")] public string? Category { get; set; }
}

[GenerateSerializer, Alias("cr.OrderInfo")]
public sealed class OrderInfo
{
    [Id(0)] [JsonPropertyName("order_id")] public string OrderId { get; set; } = "";

    [Id(1)] [JsonPropertyName("total")] public double Total { get; set; }

    [Id(2)] [JsonPropertyName("currency")] public string? Currency { get; set; }

    [Id(3)] [JsonPropertyName("skus")] public List<string> Skus { get; set; } = new();
}

[GenerateSerializer, Alias("cr.PageInfo")]
public sealed class PageInfo
{
    [Id(0)] [JsonPropertyName("url")] public string? Url { get; set; }

    [Id(1)] [JsonPropertyName("category")] public string? Category { get; set; }
}

[GenerateSerializer, Alias("cr.ConsentInfo")]
public sealed class ConsentInfo
{
    [Id(0)] [JsonPropertyName("marketing")] public bool Marketing { get; set; }
}

[GenerateSerializer, Alias("cr.CustomerInfo")]
public sealed class CustomerInfo
{
    [Id(0)] [JsonPropertyName("id")] public string? Id { get; set; }

    [Id(1)] [JsonPropertyName("email")] public string? Email { get; set; }
}

/// <summary>Which nudge a nudge_shown / nudge_clicked / nudge_dismissed event is about.</summary>
[GenerateSerializer, Alias("cr.NudgeRef")]
public sealed class NudgeRef
{
    [Id(0)] [JsonPropertyName("nudge_id")] public string NudgeId { get; set; } = "";
}
