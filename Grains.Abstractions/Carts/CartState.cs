using System.Text.Json.Serialization;

namespace CartRecovery.Grains.Abstractions.Carts;

/// <summary>
/// Cart stages: active -> idle -> abandoned -> nudged -> recovered | expired; a purchase without a
/// nudge ends in purchased. Stored as lower-case strings.
/// </summary>
public static class CartStages
{
    public const string Active = "active";
    public const string Idle = "idle";
    public const string Abandoned = "abandoned";
    public const string Nudged = "nudged";
    public const string Recovered = "recovered";
    public const string Purchased = "purchased";
    public const string Expired = "expired";

    public static bool IsFinal(string stage) => stage is Recovered or Purchased or Expired;
}

public sealed class CartLine
{
    [JsonPropertyName("sku")] public string Sku { get; set; } = "";

    [JsonPropertyName("name")] public string? Name { get; set; }

    [JsonPropertyName("price")] public double Price { get; set; }

    [JsonPropertyName("quantity")] public int Quantity { get; set; }
}

/// <summary>The compact record of an applied cart event, kept so late events can be applied in time order.</summary>
public sealed class CartEventRecord
{
    [JsonPropertyName("id")] public string EventId { get; set; } = "";

    [JsonPropertyName("type")] public string Type { get; set; } = "";

    [JsonPropertyName("at")] public DateTimeOffset At { get; set; }

    [JsonPropertyName("sku")] public string? Sku { get; set; }

    [JsonPropertyName("name")] public string? Name { get; set; }

    [JsonPropertyName("price")] public double Price { get; set; }

    [JsonPropertyName("qty")] public int Quantity { get; set; }

    [JsonPropertyName("currency")] public string? Currency { get; set; }

    [JsonPropertyName("order_id")] public string? OrderId { get; set; }

    [JsonPropertyName("total")] public double Total { get; set; }

    [JsonPropertyName("skus")] public List<string>? Skus { get; set; }
}

public sealed class CartState
{
    [JsonPropertyName("cart_id")] public string CartId { get; set; } = "";

    [JsonPropertyName("shopper_id")] public string ShopperId { get; set; } = "";

    [JsonPropertyName("session_id")] public string? SessionId { get; set; }

    [JsonPropertyName("stage")] public string Stage { get; set; } = CartStages.Active;

    /// <summary>"treatment" or "control" (control carts are never nudged).</summary>
    [JsonPropertyName("group")] public string Group { get; set; } = "treatment";

    [JsonPropertyName("lines")] public List<CartLine> Lines { get; set; } = new();

    [JsonPropertyName("value")] public double Value { get; set; }

    [JsonPropertyName("currency")] public string? Currency { get; set; }

    [JsonPropertyName("checkout_step")] public int CheckoutStep { get; set; }

    [JsonPropertyName("removals")] public int Removals { get; set; }

    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; set; }

    [JsonPropertyName("last_activity_at")] public DateTimeOffset LastActivityAt { get; set; }

    [JsonPropertyName("last_add_at")] public DateTimeOffset? LastAddAt { get; set; }

    [JsonPropertyName("idle_at")] public DateTimeOffset? IdleAt { get; set; }

    [JsonPropertyName("abandoned_at")] public DateTimeOffset? AbandonedAt { get; set; }

    [JsonPropertyName("nudged_at")] public DateTimeOffset? NudgedAt { get; set; }

    [JsonPropertyName("purchased_at")] public DateTimeOffset? PurchasedAt { get; set; }

    [JsonPropertyName("expired_at")] public DateTimeOffset? ExpiredAt { get; set; }

    [JsonPropertyName("order_id")] public string? OrderId { get; set; }

    /// <summary>Revenue of the purchase that converted the cart (recovered or direct).</summary>
    [JsonPropertyName("revenue")] public double Revenue { get; set; }

    [JsonPropertyName("risk")] public double? Risk { get; set; }

    [JsonPropertyName("model_version")] public string? ModelVersion { get; set; }

    [JsonPropertyName("scored_at")] public DateTimeOffset? ScoredAt { get; set; }

    /// <summary>Feature vector at the last scoring point: a training snapshot, labelled later by the outcome.</summary>
    [JsonPropertyName("scored_features")]
    [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    public float[]? ScoredFeatures { get; set; }

    /// <summary>Why the last nudge decision went the way it did (transparency for the admin view).</summary>
    [JsonPropertyName("last_decision")] public string? LastDecision { get; set; }

    [JsonPropertyName("nudges")] public List<Nudges.NudgeRecord> Nudges { get; set; } = new();

    [JsonPropertyName("events")] public List<CartEventRecord> Events { get; set; } = new();

    /// <summary>Highest event-log offset applied, so replays after a crash are skipped.</summary>
    [JsonPropertyName("last_offset")] public long LastOffset { get; set; } = -1;
}
