namespace CartRecovery.Grains.Abstractions.Events;

/// <summary>The event types of contract v1.</summary>
public static class EventTypes
{
    public const string SessionStart = "session_start";
    public const string PageView = "page_view";
    public const string ProductView = "product_view";
    public const string AddToCart = "add_to_cart";
    public const string RemoveFromCart = "remove_from_cart";
    public const string CartUpdate = "cart_update";
    public const string CheckoutStarted = "checkout_started";
    public const string CheckoutStep = "checkout_step";
    public const string Purchase = "purchase";
    public const string Identify = "identify";
    public const string Consent = "consent";
    public const string NudgeShown = "nudge_shown";
    public const string NudgeClicked = "nudge_clicked";
    public const string NudgeDismissed = "nudge_dismissed";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        SessionStart, PageView, ProductView, AddToCart, RemoveFromCart, CartUpdate, CheckoutStarted,
        CheckoutStep, Purchase, Identify, Consent, NudgeShown, NudgeClicked, NudgeDismissed,
    };

    /// <summary>Types that change a cart's lines or progress (and so touch the cart grain).</summary>
    public static bool TouchesCart(string type) => type is AddToCart or RemoveFromCart or CartUpdate or CheckoutStarted or CheckoutStep or Purchase
        or NudgeShown or NudgeClicked or NudgeDismissed;

    public static bool IsNudgeResponse(string type) => type is NudgeShown or NudgeClicked or NudgeDismissed;
}
