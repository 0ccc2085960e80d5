using System.Text.Json.Serialization;

namespace CartRecovery.Grains.Abstractions.Nudges;

public static class NudgeChannels
{
    public const string OnSite = "onsite";
    public const string Webhook = "webhook";
}

/// <summary>
/// One entry of the nudge ledger. Its id is the cart key and the stage it was issued for, so a
/// cart gets at most one nudge per stage however often events are replayed.
/// </summary>
public sealed class NudgeRecord
{
    [JsonPropertyName("nudge_id")] public string NudgeId { get; set; } = "";

    [JsonPropertyName("cart_id")] public string CartId { get; set; } = "";

    [JsonPropertyName("shopper_id")] public string ShopperId { get; set; } = "";

    /// <summary>"onsite" (cart idle while the shopper is on the site) or "abandoned" (shopper gone).</summary>
    [JsonPropertyName("stage")] public string Stage { get; set; } = "";

    [JsonPropertyName("reason")] public string Reason { get; set; } = "";

    [JsonPropertyName("score")] public double Score { get; set; }

    /// <summary>The incentive variant offered, e.g. "reminder", "free_shipping", "percent_off_10".</summary>
    [JsonPropertyName("variant")] public string Variant { get; set; } = "";

    [JsonPropertyName("channel")] public string Channel { get; set; } = "";

    [JsonPropertyName("message")] public string Message { get; set; } = "";

    [JsonPropertyName("cart_value")] public double CartValue { get; set; }

    [JsonPropertyName("currency")] public string? Currency { get; set; }

    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; set; }

    [JsonPropertyName("delivered_at")] public DateTimeOffset? DeliveredAt { get; set; }

    [JsonPropertyName("shown_at")] public DateTimeOffset? ShownAt { get; set; }

    [JsonPropertyName("clicked_at")] public DateTimeOffset? ClickedAt { get; set; }

    [JsonPropertyName("dismissed_at")] public DateTimeOffset? DismissedAt { get; set; }

    /// <summary>pending, delivered, failed.</summary>
    [JsonPropertyName("outcome")] public string Outcome { get; set; } = "pending";

    [JsonPropertyName("attempts")] public int Attempts { get; set; }
}

/// <summary>What a browser (SignalR) or the store's messaging tool (webhook) receives.</summary>
public sealed class NudgeMessage
{
    [JsonPropertyName("nudge_id")] public string NudgeId { get; set; } = "";

    [JsonPropertyName("shopper_id")] public string ShopperId { get; set; } = "";

    [JsonPropertyName("cart_id")] public string CartId { get; set; } = "";

    [JsonPropertyName("channel")] public string Channel { get; set; } = "";

    [JsonPropertyName("variant")] public string Variant { get; set; } = "";

    [JsonPropertyName("title")] public string Title { get; set; } = "";

    [JsonPropertyName("message")] public string Message { get; set; } = "";

    [JsonPropertyName("incentive_code")] public string? IncentiveCode { get; set; }

    [JsonPropertyName("cart_value")] public double CartValue { get; set; }

    [JsonPropertyName("currency")] public string? Currency { get; set; }

    [JsonPropertyName("lines")] public List<Carts.CartLine> Lines { get; set; } = new();

    [JsonPropertyName("email")] public string? Email { get; set; }

    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; set; }
}
