using System.Text.Json.Serialization;
using CartRecovery.Grains.Abstractions.Nudges;

namespace CartRecovery.Grains.Abstractions.Shoppers;

public sealed class ShopperState
{
    [JsonPropertyName("shopper_id")] public string ShopperId { get; set; } = "";

    [JsonPropertyName("customer_id")] public string? CustomerId { get; set; }

    [JsonPropertyName("email")] public string? Email { get; set; }

    /// <summary>Marketing consent (null: never stated). Off-site channels require true.</summary>
    [JsonPropertyName("marketing_consent")] public bool? MarketingConsent { get; set; }

    [JsonPropertyName("first_seen_at")] public DateTimeOffset? FirstSeenAt { get; set; }

    [JsonPropertyName("last_seen_at")] public DateTimeOffset? LastSeenAt { get; set; }

    [JsonPropertyName("sessions")] public List<string> Sessions { get; set; } = new();

    [JsonPropertyName("active_session_id")] public string? ActiveSessionId { get; set; }

    [JsonPropertyName("active_cart_id")] public string? ActiveCartId { get; set; }

    [JsonPropertyName("last_cart_activity_at")] public DateTimeOffset? LastCartActivityAt { get; set; }

    [JsonPropertyName("purchases")] public int Purchases { get; set; }

    [JsonPropertyName("purchase_value")] public double PurchaseValue { get; set; }

    [JsonPropertyName("nudges_shown")] public int NudgesShown { get; set; }

    [JsonPropertyName("nudges_clicked")] public int NudgesClicked { get; set; }

    [JsonPropertyName("nudges_dismissed")] public int NudgesDismissed { get; set; }

    /// <summary>When nudges were issued (the frequency cap counts these within a day).</summary>
    [JsonPropertyName("nudge_times")] public List<DateTimeOffset> NudgeTimes { get; set; } = new();

    /// <summary>On-site nudges not yet shown; delivered when the shopper's browser (re)connects.</summary>
    [JsonPropertyName("pending_nudges")] public List<NudgeMessage> PendingNudges { get; set; } = new();

    [JsonPropertyName("connected")] public bool Connected { get; set; }

    [JsonPropertyName("last_connected_at")] public DateTimeOffset? LastConnectedAt { get; set; }

    /// <summary>Most recent event ids (bounded), for deduplication of client retries.</summary>
    [JsonPropertyName("recent_event_ids")] public List<string> RecentEventIds { get; set; } = new();

    [JsonPropertyName("last_offset")] public long LastOffset { get; set; } = -1;
}

/// <summary>What the shopper grain tells the event pipeline about one event.</summary>
public sealed class ShopperDecision
{
    /// <summary>The event id was applied before (a client retry): nothing else may apply it.</summary>
    [JsonPropertyName("duplicate")] public bool Duplicate { get; set; }

    [JsonPropertyName("cart_id")] public string? CartId { get; set; }

    [JsonPropertyName("returning")] public bool Returning { get; set; }

    [JsonPropertyName("past_purchases")] public int PastPurchases { get; set; }

    [JsonPropertyName("past_nudge_clicks")] public int PastNudgeClicks { get; set; }
}

/// <summary>A cart asks its shopper whether (and how) it may nudge now.</summary>
public sealed class NudgeRequest
{
    [JsonPropertyName("nudge")] public NudgeMessage Nudge { get; set; } = new();

    [JsonPropertyName("stage")] public string Stage { get; set; } = "";

    [JsonPropertyName("frequency_cap_per_day")] public int FrequencyCapPerDay { get; set; }

    [JsonPropertyName("require_consent_offsite")] public bool RequireConsentOffsite { get; set; }

    [JsonPropertyName("offsite_allowed_now")] public bool OffsiteAllowedNow { get; set; } = true;

    /// <summary>Whether an off-site channel (webhook) is configured at all.</summary>
    [JsonPropertyName("offsite_available")] public bool OffsiteAvailable { get; set; } = true;
}

public sealed class NudgePermit
{
    [JsonPropertyName("allowed")] public bool Allowed { get; set; }

    [JsonPropertyName("channel")] public string? Channel { get; set; }

    [JsonPropertyName("reason")] public string Reason { get; set; } = "";

    [JsonPropertyName("email")] public string? Email { get; set; }
}
