using Orleans;
using System.Text.Json;
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

[GenerateSerializer, Alias("cr.CartLine")]
public sealed class CartLine
{
    [Id(0)] [JsonPropertyName("sku")] public string Sku { get; set; } = "";

    [Id(1)] [JsonPropertyName("name")] public string? Name { get; set; }

    [Id(2)] [JsonPropertyName("price")] public double Price { get; set; }

    [Id(3)] [JsonPropertyName("quantity")] public int Quantity { get; set; }
}

/// <summary>The compact record of an applied cart event, kept so late events can be applied in time order.</summary>
[GenerateSerializer, Alias("cr.CartEventRecord")]
public sealed class CartEventRecord
{
    [Id(0)] [JsonPropertyName("id")] public string EventId { get; set; } = "";

    [Id(1)] [JsonPropertyName("type")] public string Type { get; set; } = "";

    [Id(2)] [JsonPropertyName("at")] public DateTimeOffset At { get; set; }

    [Id(3)] [JsonPropertyName("sku")] public string? Sku { get; set; }

    [Id(4)] [JsonPropertyName("name")] public string? Name { get; set; }

    [Id(5)] [JsonPropertyName("price")] public double Price { get; set; }

    [Id(6)] [JsonPropertyName("qty")] public int Quantity { get; set; }

    [Id(7)] [JsonPropertyName("currency")] public string? Currency { get; set; }

    [Id(8)] [JsonPropertyName("order_id")] public string? OrderId { get; set; }

    [Id(9)] [JsonPropertyName("total")] public double Total { get; set; }

    [Id(10)] [JsonPropertyName("skus")] public List<string>? Skus { get; set; }
}

[GenerateSerializer, Alias("cr.CartState")]
public sealed class CartState
{
    [Id(0)] [JsonPropertyName("cart_id")] public string CartId { get; set; } = "";

    [Id(1)] [JsonPropertyName("shopper_id")] public string ShopperId { get; set; } = "";

    [Id(2)] [JsonPropertyName("session_id")] public string? SessionId { get; set; }

    [Id(3)] [JsonPropertyName("stage")] public string Stage { get; set; } = CartStages.Active;

    /// <summary>"treatment" or "control" (control carts are never nudged).</summary>
    [Id(4)] [JsonPropertyName("group")] public string Group { get; set; } = "treatment";

    [Id(5)] [JsonPropertyName("lines")] public List<CartLine> Lines { get; set; } = new();

    [Id(6)] [JsonPropertyName("value")] public double Value { get; set; }

    [Id(7)] [JsonPropertyName("currency")] public string? Currency { get; set; }

    [Id(8)] [JsonPropertyName("checkout_step")] public int CheckoutStep { get; set; }

    [Id(9)] [JsonPropertyName("removals")] public int Removals { get; set; }

    [Id(10)] [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; set; }

    [Id(11)] [JsonPropertyName("last_activity_at")] public DateTimeOffset LastActivityAt { get; set; }

    [Id(12)] [JsonPropertyName("last_add_at")] public DateTimeOffset? LastAddAt { get; set; }

    [Id(13)] [JsonPropertyName("idle_at")] public DateTimeOffset? IdleAt { get; set; }

    [Id(14)] [JsonPropertyName("abandoned_at")] public DateTimeOffset? AbandonedAt { get; set; }

    [Id(15)] [JsonPropertyName("nudged_at")] public DateTimeOffset? NudgedAt { get; set; }

    [Id(16)] [JsonPropertyName("purchased_at")] public DateTimeOffset? PurchasedAt { get; set; }

    [Id(17)] [JsonPropertyName("expired_at")] public DateTimeOffset? ExpiredAt { get; set; }

    [Id(18)] [JsonPropertyName("order_id")] public string? OrderId { get; set; }

    /// <summary>Revenue of the purchase that converted the cart (recovered or direct).</summary>
    [Id(19)] [JsonPropertyName("revenue")] public double Revenue { get; set; }

    [Id(20)] [JsonPropertyName("risk")] public double? Risk { get; set; }

    [Id(21)] [JsonPropertyName("model_version")] public string? ModelVersion { get; set; }

    [Id(22)] [JsonPropertyName("scored_at")] public DateTimeOffset? ScoredAt { get; set; }

    /// <summary>Feature vector at the last scoring point: a training snapshot, labelled later by the outcome.</summary>
    /// <remarks>A missing feature (NaN) is written as JSON null (older states wrote the string "NaN"; both read back as NaN).</remarks>
    [Id(23)] [JsonPropertyName("scored_features")]
    [JsonConverter(typeof(FeatureVectorJsonConverter))]
    public float[]? ScoredFeatures { get; set; }

    /// <summary>Why the last nudge decision went the way it did (transparency for the admin view).</summary>
    [Id(24)] [JsonPropertyName("last_decision")] public string? LastDecision { get; set; }

    [Id(25)] [JsonPropertyName("nudges")] public List<Nudges.NudgeRecord> Nudges { get; set; } = new();

    [Id(26)] [JsonPropertyName("events")] public List<CartEventRecord> Events { get; set; } = new();

    /// <summary>When the cart's durable reminder is next due (null: none registered), so activity need not re-register it.</summary>
    [Id(27)] [JsonPropertyName("reminder_due_at")] public DateTimeOffset? ReminderDueAt { get; set; }

    /// <summary>The folded effect of the event records compacted away (null: none yet); the lines are this plus <see cref="Events"/>.</summary>
    [Id(28)] [JsonPropertyName("base")] public CartBase? Base { get; set; }

    /// <summary>Adds of a new SKU refused because the cart already held the maximum number of lines.</summary>
    [Id(29)] [JsonPropertyName("lines_refused")] public int LinesRefused { get; set; }

    /// <summary>Sequence number of the last contribution this cart reported to the running report totals.</summary>
    [Id(30)] [JsonPropertyName("report_seq")] public int ReportSeq { get; set; }

    /// <summary>The contribution last reported to its creation day's running totals (null: none yet).</summary>
    [Id(31)] [JsonPropertyName("reported")] public Reports.ReportTotals? Reported { get; set; }
}

/// <summary>
/// What the event records dropped by compaction came to: lines, removals and checkout progress
/// as of <see cref="Through"/>. A cart's lines are re-derived from this plus the records it keeps,
/// so compaction never changes them.
/// </summary>
[GenerateSerializer, Alias("cr.CartBase")]
public sealed class CartBase
{
    [Id(0)] [JsonPropertyName("lines")] public List<CartLine> Lines { get; set; } = new();

    [Id(1)] [JsonPropertyName("removals")] public int Removals { get; set; }

    [Id(2)] [JsonPropertyName("checkout_step")] public int CheckoutStep { get; set; }

    [Id(3)] [JsonPropertyName("last_add_at")] public DateTimeOffset? LastAddAt { get; set; }

    [Id(4)] [JsonPropertyName("currency")] public string? Currency { get; set; }

    /// <summary>Occurrence time of the newest record folded in.</summary>
    [Id(5)] [JsonPropertyName("through")] public DateTimeOffset Through { get; set; }

    /// <summary>How many records were folded in.</summary>
    [Id(6)] [JsonPropertyName("records")] public int Records { get; set; }

    [Id(7)] [JsonPropertyName("lines_refused")] public int LinesRefused { get; set; }
}

/// <summary>
/// A feature vector in JSON: NaN (a missing feature) is written as null, because JSON has no NaN;
/// null and the string "NaN" (what older states hold) read back as NaN.
/// </summary>
public sealed class FeatureVectorJsonConverter : JsonConverter<float[]>
{
    public override float[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("a feature vector must be an array");
        }

        var values = new List<float>(32);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            values.Add(reader.TokenType switch
            {
                JsonTokenType.Number => reader.GetSingle(),
                JsonTokenType.Null => float.NaN,
                JsonTokenType.String when reader.ValueTextEquals("NaN"u8) => float.NaN,
                _ => throw new JsonException("a feature must be a number or null"),
            });
        }

        return values.ToArray();
    }

    public override void Write(Utf8JsonWriter writer, float[] value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var v in value)
        {
            if (float.IsFinite(v))
            {
                writer.WriteNumberValue(v);
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        writer.WriteEndArray();
    }
}
