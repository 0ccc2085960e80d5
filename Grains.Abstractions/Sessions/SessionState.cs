using System.Text.Json.Serialization;

namespace CartRecovery.Grains.Abstractions.Sessions;

/// <summary>Online features of one browsing session, kept up to date as events arrive.</summary>
public sealed class SessionState
{
    [JsonPropertyName("session_id")] public string SessionId { get; set; } = "";

    [JsonPropertyName("shopper_id")] public string ShopperId { get; set; } = "";

    [JsonPropertyName("started_at")] public DateTimeOffset? StartedAt { get; set; }

    [JsonPropertyName("last_event_at")] public DateTimeOffset? LastEventAt { get; set; }

    [JsonPropertyName("events")] public int Events { get; set; }

    [JsonPropertyName("page_views")] public int PageViews { get; set; }

    [JsonPropertyName("product_views")] public int ProductViews { get; set; }

    [JsonPropertyName("cart_adds")] public int CartAdds { get; set; }

    [JsonPropertyName("cart_removals")] public int CartRemovals { get; set; }

    [JsonPropertyName("cart_views")] public int CartViews { get; set; }

    [JsonPropertyName("checkout_progress")] public int CheckoutProgress { get; set; }

    [JsonPropertyName("distinct_products")] public List<string> DistinctProducts { get; set; } = new();

    [JsonPropertyName("viewed_value")] public double ViewedValue { get; set; }

    [JsonPropertyName("device")] public string? Device { get; set; }

    [JsonPropertyName("returning")] public bool Returning { get; set; }

    [JsonPropertyName("past_purchases")] public int PastPurchases { get; set; }

    [JsonPropertyName("past_nudge_clicks")] public int PastNudgeClicks { get; set; }

    [JsonPropertyName("nudge_responses")] public int NudgeResponses { get; set; }

    [JsonPropertyName("purchased")] public bool Purchased { get; set; }

    [JsonPropertyName("last_offset")] public long LastOffset { get; set; } = -1;

    /// <summary>Seconds between the first and the last event.</summary>
    [JsonIgnore]
    public double DwellSeconds => StartedAt is { } s && LastEventAt is { } l ? Math.Max(0, (l - s).TotalSeconds) : 0;
}
