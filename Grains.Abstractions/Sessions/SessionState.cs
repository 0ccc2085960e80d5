using Orleans;
using System.Text.Json.Serialization;

namespace CartRecovery.Grains.Abstractions.Sessions;

/// <summary>Online features of one browsing session, kept up to date as events arrive.</summary>
[GenerateSerializer, Alias("cr.SessionState")]
public sealed class SessionState
{
    [Id(0)] [JsonPropertyName("session_id")] public string SessionId { get; set; } = "";

    [Id(1)] [JsonPropertyName("shopper_id")] public string ShopperId { get; set; } = "";

    [Id(2)] [JsonPropertyName("started_at")] public DateTimeOffset? StartedAt { get; set; }

    [Id(3)] [JsonPropertyName("last_event_at")] public DateTimeOffset? LastEventAt { get; set; }

    [Id(4)] [JsonPropertyName("events")] public int Events { get; set; }

    [Id(5)] [JsonPropertyName("page_views")] public int PageViews { get; set; }

    [Id(6)] [JsonPropertyName("product_views")] public int ProductViews { get; set; }

    [Id(7)] [JsonPropertyName("cart_adds")] public int CartAdds { get; set; }

    [Id(8)] [JsonPropertyName("cart_removals")] public int CartRemovals { get; set; }

    [Id(9)] [JsonPropertyName("cart_views")] public int CartViews { get; set; }

    [Id(10)] [JsonPropertyName("checkout_progress")] public int CheckoutProgress { get; set; }

    [Id(11)] [JsonPropertyName("distinct_products")] public List<string> DistinctProducts { get; set; } = new();

    [Id(12)] [JsonPropertyName("viewed_value")] public double ViewedValue { get; set; }

    [Id(13)] [JsonPropertyName("device")] public string? Device { get; set; }

    [Id(14)] [JsonPropertyName("returning")] public bool Returning { get; set; }

    [Id(15)] [JsonPropertyName("past_purchases")] public int PastPurchases { get; set; }

    [Id(16)] [JsonPropertyName("past_nudge_clicks")] public int PastNudgeClicks { get; set; }

    [Id(17)] [JsonPropertyName("nudge_responses")] public int NudgeResponses { get; set; }

    [Id(18)] [JsonPropertyName("purchased")] public bool Purchased { get; set; }

    /// <summary>
    /// Event ids a session grain of the previous layout applied (bounded), so a batch retried after
    /// its shopper failed to commit counts nothing twice. Null in features the shopper keeps.
    /// </summary>
    [Id(19)] [JsonPropertyName("recent_event_ids")] public List<string>? RecentEventIds { get; set; }


    /// <summary>Seconds between the first and the last event.</summary>
    [JsonIgnore]
    public double DwellSeconds => StartedAt is { } s && LastEventAt is { } l ? Math.Max(0, (l - s).TotalSeconds) : 0;
}
