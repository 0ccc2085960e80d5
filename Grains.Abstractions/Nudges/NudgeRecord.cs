using Orleans;
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
[GenerateSerializer, Alias("cr.NudgeRecord")]
public sealed class NudgeRecord
{
    [Id(0)] [JsonPropertyName("nudge_id")] public string NudgeId { get; set; } = "";

    [Id(1)] [JsonPropertyName("cart_id")] public string CartId { get; set; } = "";

    [Id(2)] [JsonPropertyName("shopper_id")] public string ShopperId { get; set; } = "";

    /// <summary>"onsite" (cart idle while the shopper is on the site) or "abandoned" (shopper gone).</summary>
    [Id(3)] [JsonPropertyName("stage")] public string Stage { get; set; } = "";

    [Id(4)] [JsonPropertyName("reason")] public string Reason { get; set; } = "";

    [Id(5)] [JsonPropertyName("score")] public double Score { get; set; }

    /// <summary>The incentive variant offered, e.g. "reminder", "free_shipping", "percent_off_10".</summary>
    [Id(6)] [JsonPropertyName("variant")] public string Variant { get; set; } = "";

    [Id(7)] [JsonPropertyName("channel")] public string Channel { get; set; } = "";

    [Id(8)] [JsonPropertyName("message")] public string Message { get; set; } = "";

    [Id(9)] [JsonPropertyName("cart_value")] public double CartValue { get; set; }

    [Id(10)] [JsonPropertyName("currency")] public string? Currency { get; set; }

    [Id(11)] [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; set; }

    [Id(12)] [JsonPropertyName("delivered_at")] public DateTimeOffset? DeliveredAt { get; set; }

    [Id(13)] [JsonPropertyName("shown_at")] public DateTimeOffset? ShownAt { get; set; }

    [Id(14)] [JsonPropertyName("clicked_at")] public DateTimeOffset? ClickedAt { get; set; }

    [Id(15)] [JsonPropertyName("dismissed_at")] public DateTimeOffset? DismissedAt { get; set; }

    /// <summary>pending, delivered, failed.</summary>
    [Id(16)] [JsonPropertyName("outcome")] public string Outcome { get; set; } = "pending";

    [Id(17)] [JsonPropertyName("attempts")] public int Attempts { get; set; }

    [Id(18)] [JsonPropertyName("incentive_code")] public string? IncentiveCode { get; set; }

    /// <summary>The discount the incentive tier grants (null: none).</summary>
    [Id(19)] [JsonPropertyName("percent_off")] public double? PercentOff { get; set; }

    /// <summary>
    /// The outbox: a webhook nudge's payload, kept in the ledger until it is delivered or given up,
    /// so a restart re-sends it (the receiver deduplicates by nudge id). Null for on-site nudges.
    /// </summary>
    [Id(20)] [JsonPropertyName("outbox")] public NudgeMessage? Outbox { get; set; }
}

/// <summary>What a browser (SignalR) or the store's messaging tool (webhook) receives.</summary>
[GenerateSerializer, Alias("cr.NudgeMessage")]
public sealed class NudgeMessage
{
    [Id(0)] [JsonPropertyName("nudge_id")] public string NudgeId { get; set; } = "";

    [Id(1)] [JsonPropertyName("shopper_id")] public string ShopperId { get; set; } = "";

    [Id(2)] [JsonPropertyName("cart_id")] public string CartId { get; set; } = "";

    [Id(3)] [JsonPropertyName("channel")] public string Channel { get; set; } = "";

    [Id(4)] [JsonPropertyName("variant")] public string Variant { get; set; } = "";

    [Id(5)] [JsonPropertyName("title")] public string Title { get; set; } = "";

    [Id(6)] [JsonPropertyName("message")] public string Message { get; set; } = "";

    [Id(7)] [JsonPropertyName("incentive_code")] public string? IncentiveCode { get; set; }

    [Id(8)] [JsonPropertyName("cart_value")] public double CartValue { get; set; }

    [Id(9)] [JsonPropertyName("currency")] public string? Currency { get; set; }

    [Id(10)] [JsonPropertyName("lines")] public List<Carts.CartLine> Lines { get; set; } = new();

    [Id(11)] [JsonPropertyName("email")] public string? Email { get; set; }

    [Id(12)] [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The discount that goes with <see cref="IncentiveCode"/> (null: none), from the tier's percent_off.</summary>
    [Id(13)] [JsonPropertyName("percent_off")] public double? PercentOff { get; set; }
}
