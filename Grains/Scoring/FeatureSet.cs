using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Sessions;

namespace CartRecovery.Grains.Scoring;

/// <summary>
/// The one feature definition used for both serving and training, so the two cannot drift:
/// scoring calls <see cref="Extract"/>, and training rows are the vectors carts stored when scored.
/// </summary>
public static class FeatureSet
{
    public static readonly string[] Names =
    [
        "cart_value", "cart_lines", "cart_quantity", "cart_removals", "minutes_since_last_add", "minutes_idle",
        "checkout_progress", "session_events", "page_views", "product_views", "distinct_products", "cart_views",
        "dwell_minutes", "returning", "past_purchases", "past_nudge_clicks", "nudge_responses", "hour_of_day",
        "day_of_week", "device_mobile",
    ];

    public static int Count => Names.Length;

    public static float[] Extract(CartState cart, SessionState? session, DateTimeOffset now)
    {
        var f = new float[Names.Length];
        f[0] = (float)cart.Value;
        f[1] = cart.Lines.Count;
        f[2] = cart.Lines.Sum(l => l.Quantity);
        f[3] = cart.Removals;
        f[4] = cart.LastAddAt is { } add ? (float)Math.Max(0, (now - add).TotalMinutes) : float.NaN;
        f[5] = (float)Math.Max(0, (now - cart.LastActivityAt).TotalMinutes);
        f[6] = Math.Max(cart.CheckoutStep, session?.CheckoutProgress ?? 0);
        if (session is not null)
        {
            f[7] = session.Events;
            f[8] = session.PageViews;
            f[9] = session.ProductViews;
            f[10] = session.DistinctProducts.Count;
            f[11] = session.CartViews;
            f[12] = (float)(session.DwellSeconds / 60);
            f[13] = session.Returning ? 1 : 0;
            f[14] = session.PastPurchases;
            f[15] = session.PastNudgeClicks;
            f[16] = session.NudgeResponses;
            f[19] = session.Device is "mobile" or "tablet" ? 1 : session.Device is null ? float.NaN : 0;
        }
        else
        {
            for (var i = 7; i <= 16; i++)
            {
                f[i] = float.NaN;
            }

            f[19] = float.NaN;
        }

        f[17] = now.UtcDateTime.Hour;
        f[18] = (int)now.UtcDateTime.DayOfWeek;
        return f;
    }
}
