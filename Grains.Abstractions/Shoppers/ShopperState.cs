using Orleans;
using System.Text.Json.Serialization;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Sessions;

namespace CartRecovery.Grains.Abstractions.Shoppers;

[GenerateSerializer, Alias("cr.ShopperState")]
public sealed class ShopperState
{
    [Id(0)] [JsonPropertyName("shopper_id")] public string ShopperId { get; set; } = "";

    [Id(1)] [JsonPropertyName("customer_id")] public string? CustomerId { get; set; }

    [Id(2)] [JsonPropertyName("email")] public string? Email { get; set; }

    /// <summary>Marketing consent (null: never stated). Off-site channels require true.</summary>
    [Id(3)] [JsonPropertyName("marketing_consent")] public bool? MarketingConsent { get; set; }

    [Id(4)] [JsonPropertyName("first_seen_at")] public DateTimeOffset? FirstSeenAt { get; set; }

    [Id(5)] [JsonPropertyName("last_seen_at")] public DateTimeOffset? LastSeenAt { get; set; }

    [Id(6)] [JsonPropertyName("sessions")] public List<string> Sessions { get; set; } = new();

    [Id(7)] [JsonPropertyName("active_session_id")] public string? ActiveSessionId { get; set; }

    [Id(8)] [JsonPropertyName("active_cart_id")] public string? ActiveCartId { get; set; }

    [Id(9)] [JsonPropertyName("last_cart_activity_at")] public DateTimeOffset? LastCartActivityAt { get; set; }

    [Id(10)] [JsonPropertyName("purchases")] public int Purchases { get; set; }

    [Id(11)] [JsonPropertyName("purchase_value")] public double PurchaseValue { get; set; }

    [Id(12)] [JsonPropertyName("nudges_shown")] public int NudgesShown { get; set; }

    [Id(13)] [JsonPropertyName("nudges_clicked")] public int NudgesClicked { get; set; }

    [Id(14)] [JsonPropertyName("nudges_dismissed")] public int NudgesDismissed { get; set; }

    /// <summary>When nudges were issued (the frequency cap counts these within a day).</summary>
    [Id(15)] [JsonPropertyName("nudge_times")] public List<DateTimeOffset> NudgeTimes { get; set; } = new();

    /// <summary>On-site nudges not yet shown; delivered when the shopper's browser (re)connects.</summary>
    [Id(16)] [JsonPropertyName("pending_nudges")] public List<NudgeMessage> PendingNudges { get; set; } = new();

    [Id(17)] [JsonPropertyName("connected")] public bool Connected { get; set; }

    [Id(18)] [JsonPropertyName("last_connected_at")] public DateTimeOffset? LastConnectedAt { get; set; }

    /// <summary>Most recent event ids (bounded), for deduplication of client retries.</summary>
    [Id(19)] [JsonPropertyName("recent_event_ids")] public List<string> RecentEventIds { get; set; } = new();

    /// <summary>Online features of the shopper's most recent sessions (bounded; the least recently active is dropped first).</summary>
    [Id(20)] [JsonPropertyName("session_features")] public List<SessionState> SessionFeatures { get; set; } = new();
}

/// <summary>
/// What a shopper of the previous release tells its session grains about the shopper
/// (<see cref="ISessionGrain.Apply"/>); kept for rolling upgrades from that release.
/// </summary>
[GenerateSerializer, Alias("cr.ShopperDecision")]
public sealed class ShopperDecision
{
    [Id(2)] [JsonPropertyName("returning")] public bool Returning { get; set; }

    [Id(3)] [JsonPropertyName("past_purchases")] public int PastPurchases { get; set; }

    [Id(4)] [JsonPropertyName("past_nudge_clicks")] public int PastNudgeClicks { get; set; }
}

/// <summary>A cart asks its shopper whether (and how) it may nudge now.</summary>
[GenerateSerializer, Alias("cr.NudgeRequest")]
public sealed class NudgeRequest
{
    [Id(0)] [JsonPropertyName("nudge")] public NudgeMessage Nudge { get; set; } = new();

    [Id(1)] [JsonPropertyName("stage")] public string Stage { get; set; } = "";

    [Id(2)] [JsonPropertyName("frequency_cap_per_day")] public int FrequencyCapPerDay { get; set; }

    [Id(3)] [JsonPropertyName("require_consent_offsite")] public bool RequireConsentOffsite { get; set; }

    [Id(4)] [JsonPropertyName("offsite_allowed_now")] public bool OffsiteAllowedNow { get; set; } = true;

    /// <summary>Whether an off-site channel (webhook) is configured at all.</summary>
    [Id(5)] [JsonPropertyName("offsite_available")] public bool OffsiteAvailable { get; set; } = true;
}

[GenerateSerializer, Alias("cr.NudgePermit")]
public sealed class NudgePermit
{
    [Id(0)] [JsonPropertyName("allowed")] public bool Allowed { get; set; }

    [Id(1)] [JsonPropertyName("channel")] public string? Channel { get; set; }

    [Id(2)] [JsonPropertyName("reason")] public string Reason { get; set; } = "";

    [Id(3)] [JsonPropertyName("email")] public string? Email { get; set; }
}
