using Orleans;
using System.Text.Json.Serialization;

namespace CartRecovery.Grains.Abstractions.Policy;

/// <summary>
/// Which carts get a nudge, when and with what incentive. Editable at run time; every silo
/// follows the stored version. Stored states leave out values equal to the type's default
/// (StateJsonContext), so a value-type setting whose initial value is not its type's default is
/// always written (JsonIgnoreCondition.Never): left out, it would read back as the initial value.
/// </summary>
[GenerateSerializer, Alias("cr.CampaignPolicy")]
public sealed class CampaignPolicy
{
    [Id(0)] [JsonPropertyName("enabled")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public bool Enabled { get; set; } = true;

    [Id(1)] [JsonPropertyName("min_cart_value")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public double MinCartValue { get; set; } = 10;

    /// <summary>Nudge only carts whose abandonment risk is at least this (0..1).</summary>
    [Id(2)] [JsonPropertyName("risk_threshold")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public double RiskThreshold { get; set; } = 0.3;

    /// <summary>Idle time before an on-site nudge (shopper still connected).</summary>
    [Id(3)] [JsonPropertyName("onsite_delay_seconds")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public double OnsiteDelaySeconds { get; set; } = 300;

    /// <summary>Inactivity after which a cart counts as abandoned (and an off-site nudge may go out).</summary>
    [Id(4)] [JsonPropertyName("abandon_after_seconds")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public double AbandonAfterSeconds { get; set; } = 1800;

    /// <summary>Extra wait after abandonment before the off-site nudge.</summary>
    [Id(5)] [JsonPropertyName("offsite_delay_seconds")] public double OffsiteDelaySeconds { get; set; }

    [Id(6)] [JsonPropertyName("incentives")] public List<IncentiveTier> Incentives { get; set; } =
    [
        new() { MinCartValue = 0, Variant = "reminder", Message = "You left items in your cart." },
        new() { MinCartValue = 50, Variant = "free_shipping", Message = "Complete your order today and shipping is on us.", Code = "FREESHIP" },
        new() { MinCartValue = 150, Variant = "percent_off_10", Message = "Complete your order now and get 10% off.", Code = "SAVE10", PercentOff = 10 },
    ];

    [Id(7)] [JsonPropertyName("frequency_cap_per_day")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public int FrequencyCapPerDay { get; set; } = 2;

    [Id(8)] [JsonPropertyName("quiet_hours")] public QuietHours? QuietHours { get; set; } = new();

    [Id(9)] [JsonPropertyName("require_consent_offsite")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public bool RequireConsentOffsite { get; set; } = true;

    /// <summary>Share of shoppers (by stable hash) held out as a control group that never gets nudges.</summary>
    [Id(10)] [JsonPropertyName("control_fraction")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public double ControlFraction { get; set; } = 0.1;

    [Id(11)] [JsonPropertyName("control_salt")] public string ControlSalt { get; set; } = "control-v1";

    [Id(12)] [JsonPropertyName("attribution_window_hours")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public double AttributionWindowHours { get; set; } = 120;

    /// <summary>Carts with no purchase this long after their last activity expire.</summary>
    [Id(13)] [JsonPropertyName("expire_after_hours")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public double ExpireAfterHours { get; set; } = 168;

    [Id(14)] [JsonPropertyName("version")] public long Version { get; set; }
}

[GenerateSerializer, Alias("cr.IncentiveTier")]
public sealed class IncentiveTier
{
    [Id(0)] [JsonPropertyName("min_cart_value")] public double MinCartValue { get; set; }

    [Id(1)] [JsonPropertyName("variant")] public string Variant { get; set; } = "reminder";

    [Id(2)] [JsonPropertyName("message")] public string Message { get; set; } = "";

    [Id(3)] [JsonPropertyName("code")] public string? Code { get; set; }

    [Id(4)] [JsonPropertyName("percent_off")] public double PercentOff { get; set; }
}

/// <summary>Hours (local to <see cref="TimeZone"/>) when off-site nudges are held back.</summary>
[GenerateSerializer, Alias("cr.QuietHours")]
public sealed class QuietHours
{
    [Id(0)] [JsonPropertyName("start_hour")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public int StartHour { get; set; } = 21;

    [Id(1)] [JsonPropertyName("end_hour")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public int EndHour { get; set; } = 8;

    [Id(2)] [JsonPropertyName("time_zone")] public string TimeZone { get; set; } = "UTC";
}
