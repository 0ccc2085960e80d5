using CartRecovery.Grains.Abstractions.Policy;

namespace CartRecovery.Grains.Policy;

/// <summary>Checks a policy before it is stored: the first problem, naming the field, or null.</summary>
public static class PolicyValidator
{
    public static string? Validate(CampaignPolicy p)
    {
        static bool Finite(double v) => double.IsFinite(v);
        if (!Finite(p.MinCartValue) || p.MinCartValue < 0)
        {
            return "min_cart_value: must be a non-negative number";
        }

        if (!Finite(p.RiskThreshold) || p.RiskThreshold is < 0 or > 1)
        {
            return "risk_threshold: must be between 0 and 1";
        }

        foreach (var (name, value) in new[] { ("onsite_delay_seconds", p.OnsiteDelaySeconds), ("abandon_after_seconds", p.AbandonAfterSeconds), ("offsite_delay_seconds", p.OffsiteDelaySeconds) })
        {
            if (!Finite(value) || value < 0 || value > 30 * 86400)
            {
                return $"{name}: must be between 0 and 2592000 (30 days)";
            }
        }

        if (p.AbandonAfterSeconds < p.OnsiteDelaySeconds)
        {
            return "abandon_after_seconds: must not be shorter than onsite_delay_seconds";
        }

        if (p.FrequencyCapPerDay is < 0 or > 100)
        {
            return "frequency_cap_per_day: must be between 0 and 100";
        }

        if (!Finite(p.ControlFraction) || p.ControlFraction is < 0 or > 0.5)
        {
            return "control_fraction: must be between 0 and 0.5";
        }

        if (string.IsNullOrWhiteSpace(p.ControlSalt) || p.ControlSalt.Length > 64 || HasControl(p.ControlSalt))
        {
            return "control_salt: must be 1 to 64 characters, no control characters";
        }

        if (!Finite(p.AttributionWindowHours) || p.AttributionWindowHours is <= 0 or > 24 * 90)
        {
            return "attribution_window_hours: must be between 0 and 2160 (90 days)";
        }

        if (!Finite(p.ExpireAfterHours) || p.ExpireAfterHours <= 0 || p.ExpireAfterHours > 24 * 90 || p.ExpireAfterHours * 3600 < p.AbandonAfterSeconds)
        {
            return "expire_after_hours: must be positive, at most 2160, and not shorter than abandon_after_seconds";
        }

        if (p.Incentives is null)
        {
            return "incentives: must be an array of tiers (may be empty)";
        }

        if (p.Incentives.Count > 10)
        {
            return "incentives: at most 10 tiers";
        }

        for (var i = 0; i < p.Incentives.Count; i++)
        {
            var t = p.Incentives[i];
            if (t is null)
            {
                return $"incentives[{i}]: must be a tier object";
            }

            if (!Finite(t.MinCartValue) || t.MinCartValue < 0)
            {
                return $"incentives[{i}].min_cart_value: must be a non-negative number";
            }

            if (string.IsNullOrWhiteSpace(t.Variant) || t.Variant.Length > 40 || HasControl(t.Variant))
            {
                return $"incentives[{i}].variant: must be 1 to 40 characters, no control characters";
            }

            if (string.IsNullOrWhiteSpace(t.Message) || t.Message.Length > 280 || HasControl(t.Message))
            {
                return $"incentives[{i}].message: must be 1 to 280 characters, no control characters";
            }

            if (t.Code is not null && (string.IsNullOrWhiteSpace(t.Code) || t.Code.Length > 40 || HasControl(t.Code)))
            {
                return $"incentives[{i}].code: must be 1 to 40 characters, no control characters";
            }

            if (!Finite(t.PercentOff) || t.PercentOff is < 0 or > 90)
            {
                return $"incentives[{i}].percent_off: must be between 0 and 90";
            }

            if (t.PercentOff > 0 && t.Code is null)
            {
                return $"incentives[{i}].percent_off: a discount needs a code the shopper can redeem";
            }
        }

        if (p.QuietHours is { } q)
        {
            if (q.StartHour is < 0 or > 23 || q.EndHour is < 0 or > 23)
            {
                return "quiet_hours: start_hour and end_hour must be between 0 and 23";
            }

            if (string.IsNullOrWhiteSpace(q.TimeZone) || q.TimeZone.Length > 64 || HasControl(q.TimeZone))
            {
                return "quiet_hours.time_zone: must be an IANA time zone id of 1 to 64 characters";
            }

            try
            {
                TimeZoneInfo.FindSystemTimeZoneById(q.TimeZone);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException or IOException or UnauthorizedAccessException or System.Security.SecurityException)
            {
                return $"quiet_hours.time_zone: unknown time zone '{q.TimeZone}'";
            }
        }

        return null;
    }

    private static bool HasControl(string value) => value.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029');

    /// <summary>Whether off-site nudges are held back at <paramref name="now"/>.</summary>
    public static bool InQuietHours(CampaignPolicy p, DateTimeOffset now)
    {
        if (p.QuietHours is not { } q || q.StartHour == q.EndHour)
        {
            return false;
        }

        var local = TimeZoneInfo.ConvertTime(now, TimeZoneInfo.FindSystemTimeZoneById(q.TimeZone)).Hour;
        return q.StartHour < q.EndHour ? local >= q.StartHour && local < q.EndHour : local >= q.StartHour || local < q.EndHour;
    }

    /// <summary>The first instant at or after <paramref name="now"/> outside quiet hours.</summary>
    public static DateTimeOffset QuietHoursEnd(CampaignPolicy p, DateTimeOffset now)
    {
        var t = now;
        for (var i = 0; i < 25 && InQuietHours(p, t); i++)
        {
            t = new DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, 0, 0, t.Offset).AddHours(1);
        }

        return t;
    }
}
