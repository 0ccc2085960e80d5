using System.Text.Json;
using System.Text.Json.Serialization;
using CartRecovery.Grains.Abstractions.Events;

namespace CartRecovery.Bench.Kafka;

/// <summary>
/// The baseline's application of events: one state per shopper, per shopper/session and per shopper/cart key (the
/// keys of the product's shopper, session and cart grains; a cart is the event's cart_id, else the shopper's active
/// cart, else c-&lt;session&gt;), holding what the product's states hold in outline: identity, sessions, counters,
/// recent event ids (512 per shopper, 256 per session), cart lines and the cart's event records (400). No policy,
/// scoring, deadlines or nudges: only the bookkeeping, so the baseline is what a hand-written consumer would store.
/// </summary>
internal sealed class PlainStates
{
    private readonly Dictionary<string, Shopper> _shoppers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Cart> _carts = new(StringComparer.Ordinal);
    private readonly HashSet<object> _dirty = new(ReferenceEqualityComparer.Instance);

    public readonly record struct Row(string Kind, string Key, long Version, string Json);

    public void Apply(StorefrontEvent e)
    {
        if (!_shoppers.TryGetValue(e.ShopperId, out var shopper))
        {
            _shoppers[e.ShopperId] = shopper = new Shopper { ShopperId = e.ShopperId, FirstSeenAt = e.OccurredAt };
        }

        shopper.LastSeenAt = e.OccurredAt;
        Remember(shopper.RecentEventIds, e.EventId, 512);
        if (!shopper.Sessions.Contains(e.SessionId))
        {
            shopper.Sessions.Add(e.SessionId);
        }

        shopper.ActiveSessionId = e.SessionId;
        if (e.Customer is { } customer)
        {
            shopper.CustomerId = customer.Id ?? shopper.CustomerId;
            shopper.Email = customer.Email ?? shopper.Email;
        }

        if (e.Consent is { } consent)
        {
            shopper.MarketingConsent = consent.Marketing;
        }

        _dirty.Add(shopper);

        var sessionKey = e.ShopperId + "/" + e.SessionId;
        if (!_sessions.TryGetValue(sessionKey, out var session))
        {
            _sessions[sessionKey] = session = new Session { Key = sessionKey, SessionId = e.SessionId, ShopperId = e.ShopperId, StartedAt = e.OccurredAt, Returning = shopper.Sessions.Count > 1 };
        }

        session.Events++;
        session.LastEventAt = e.OccurredAt;
        session.Device ??= e.Device;
        switch (e.Type)
        {
            case EventTypes.PageView: session.PageViews++; break;
            case EventTypes.ProductView: session.ProductViews++; session.ViewedValue += e.Item?.Price ?? 0; break;
            case EventTypes.AddToCart: session.CartAdds++; break;
            case EventTypes.RemoveFromCart: session.CartRemovals++; break;
            case EventTypes.CheckoutStarted or EventTypes.CheckoutStep: session.CheckoutProgress++; break;
            case EventTypes.Purchase: session.Purchased = true; break;
        }

        if (e.Item?.Sku is { Length: > 0 } sku && !session.DistinctProducts.Contains(sku))
        {
            session.DistinctProducts.Add(sku);
        }

        Remember(session.RecentEventIds, e.EventId, 256);
        _dirty.Add(session);

        if (!EventTypes.TouchesCart(e.Type))
        {
            return;
        }

        var cartId = e.CartId ?? shopper.ActiveCartId ?? "c-" + e.SessionId;
        var cartKey = e.ShopperId + "/" + cartId;
        if (!_carts.TryGetValue(cartKey, out var cart))
        {
            _carts[cartKey] = cart = new Cart { Key = cartKey, CartId = cartId, ShopperId = e.ShopperId, SessionId = e.SessionId, CreatedAt = e.OccurredAt };
        }

        cart.LastActivityAt = e.OccurredAt;
        shopper.ActiveCartId = cartId;
        shopper.LastCartActivityAt = e.OccurredAt;
        if (e.Item is { } item)
        {
            var line = cart.Lines.Find(l => l.Sku == item.Sku);
            switch (e.Type)
            {
                case EventTypes.AddToCart when line is null:
                    cart.Lines.Add(new Line { Sku = item.Sku, Name = item.Name, Price = item.Price, Quantity = item.Quantity });
                    cart.LastAddAt = e.OccurredAt;
                    break;
                case EventTypes.AddToCart:
                    line!.Quantity += item.Quantity;
                    cart.LastAddAt = e.OccurredAt;
                    break;
                case EventTypes.RemoveFromCart when line is not null:
                    cart.Lines.Remove(line);
                    cart.Removals++;
                    break;
                case EventTypes.CartUpdate when line is not null:
                    line.Quantity = item.Quantity;
                    break;
            }
        }

        if (e.Type == EventTypes.CheckoutStep || e.Type == EventTypes.CheckoutStarted)
        {
            cart.CheckoutStep++;
        }

        if (e.Type == EventTypes.Purchase)
        {
            cart.Stage = "purchased";
            cart.PurchasedAt = e.OccurredAt;
            cart.OrderId = e.Order?.OrderId;
            cart.Revenue = e.Order?.Total ?? cart.Value;
            shopper.Purchases++;
            shopper.PurchaseValue += cart.Revenue;
            shopper.ActiveCartId = null;
        }

        cart.Value = cart.Lines.Sum(l => l.Price * l.Quantity);
        cart.Events.Add(new CartEvent { Id = e.EventId, Type = e.Type, At = e.OccurredAt, Sku = e.Item?.Sku, Name = e.Item?.Name, Price = e.Item?.Price ?? 0, Quantity = e.Item?.Quantity ?? 0, Currency = e.Item?.Currency, OrderId = e.Order?.OrderId, Total = e.Order?.Total ?? 0 });
        if (cart.Events.Count > 400)
        {
            cart.Events.RemoveAt(0);
        }

        _dirty.Add(cart);
    }

    /// <summary>Every state changed since the last call, serialized, with its next version.</summary>
    public List<Row> TakeDirty()
    {
        var rows = new List<Row>(_dirty.Count);
        foreach (var state in _dirty)
        {
            rows.Add(state switch
            {
                Shopper s => new Row("shopper", s.ShopperId, ++s.Version, JsonSerializer.Serialize(s, PlainJsonContext.Default.Shopper)),
                Session s => new Row("session", s.Key, ++s.Version, JsonSerializer.Serialize(s, PlainJsonContext.Default.Session)),
                Cart c => new Row("cart", c.Key, ++c.Version, JsonSerializer.Serialize(c, PlainJsonContext.Default.Cart)),
                _ => throw new InvalidOperationException(),
            });
        }

        _dirty.Clear();
        return rows;
    }

    private static void Remember(List<string> ids, string id, int keep)
    {
        ids.Add(id);
        if (ids.Count > keep)
        {
            ids.RemoveAt(0);
        }
    }

    internal sealed class Shopper
    {
        [JsonIgnore] public long Version { get; set; }
        [JsonPropertyName("shopper_id")] public string ShopperId { get; set; } = "";
        [JsonPropertyName("customer_id")] public string? CustomerId { get; set; }
        [JsonPropertyName("email")] public string? Email { get; set; }
        [JsonPropertyName("marketing_consent")] public bool? MarketingConsent { get; set; }
        [JsonPropertyName("first_seen_at")] public DateTimeOffset FirstSeenAt { get; set; }
        [JsonPropertyName("last_seen_at")] public DateTimeOffset LastSeenAt { get; set; }
        [JsonPropertyName("sessions")] public List<string> Sessions { get; set; } = [];
        [JsonPropertyName("active_session_id")] public string? ActiveSessionId { get; set; }
        [JsonPropertyName("active_cart_id")] public string? ActiveCartId { get; set; }
        [JsonPropertyName("last_cart_activity_at")] public DateTimeOffset? LastCartActivityAt { get; set; }
        [JsonPropertyName("purchases")] public int Purchases { get; set; }
        [JsonPropertyName("purchase_value")] public double PurchaseValue { get; set; }
        [JsonPropertyName("recent_event_ids")] public List<string> RecentEventIds { get; set; } = [];
    }

    internal sealed class Session
    {
        [JsonIgnore] public long Version { get; set; }
        [JsonIgnore] public string Key { get; set; } = "";
        [JsonPropertyName("session_id")] public string SessionId { get; set; } = "";
        [JsonPropertyName("shopper_id")] public string ShopperId { get; set; } = "";
        [JsonPropertyName("started_at")] public DateTimeOffset StartedAt { get; set; }
        [JsonPropertyName("last_event_at")] public DateTimeOffset LastEventAt { get; set; }
        [JsonPropertyName("events")] public int Events { get; set; }
        [JsonPropertyName("page_views")] public int PageViews { get; set; }
        [JsonPropertyName("product_views")] public int ProductViews { get; set; }
        [JsonPropertyName("cart_adds")] public int CartAdds { get; set; }
        [JsonPropertyName("cart_removals")] public int CartRemovals { get; set; }
        [JsonPropertyName("checkout_progress")] public int CheckoutProgress { get; set; }
        [JsonPropertyName("distinct_products")] public List<string> DistinctProducts { get; set; } = [];
        [JsonPropertyName("viewed_value")] public double ViewedValue { get; set; }
        [JsonPropertyName("device")] public string? Device { get; set; }
        [JsonPropertyName("returning")] public bool Returning { get; set; }
        [JsonPropertyName("purchased")] public bool Purchased { get; set; }
        [JsonPropertyName("recent_event_ids")] public List<string> RecentEventIds { get; set; } = [];
    }

    internal sealed class Cart
    {
        [JsonIgnore] public long Version { get; set; }
        [JsonIgnore] public string Key { get; set; } = "";
        [JsonPropertyName("cart_id")] public string CartId { get; set; } = "";
        [JsonPropertyName("shopper_id")] public string ShopperId { get; set; } = "";
        [JsonPropertyName("session_id")] public string? SessionId { get; set; }
        [JsonPropertyName("stage")] public string Stage { get; set; } = "active";
        [JsonPropertyName("lines")] public List<Line> Lines { get; set; } = [];
        [JsonPropertyName("value")] public double Value { get; set; }
        [JsonPropertyName("checkout_step")] public int CheckoutStep { get; set; }
        [JsonPropertyName("removals")] public int Removals { get; set; }
        [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; set; }
        [JsonPropertyName("last_activity_at")] public DateTimeOffset LastActivityAt { get; set; }
        [JsonPropertyName("last_add_at")] public DateTimeOffset? LastAddAt { get; set; }
        [JsonPropertyName("purchased_at")] public DateTimeOffset? PurchasedAt { get; set; }
        [JsonPropertyName("order_id")] public string? OrderId { get; set; }
        [JsonPropertyName("revenue")] public double Revenue { get; set; }
        [JsonPropertyName("events")] public List<CartEvent> Events { get; set; } = [];
    }

    internal sealed class Line
    {
        [JsonPropertyName("sku")] public string Sku { get; set; } = "";
        [JsonPropertyName("name")] public string? Name { get; set; }
        [JsonPropertyName("price")] public double Price { get; set; }
        [JsonPropertyName("quantity")] public int Quantity { get; set; }
    }

    internal sealed class CartEvent
    {
        [JsonPropertyName("id")] public string Id { get; set; } = "";
        [JsonPropertyName("type")] public string Type { get; set; } = "";
        [JsonPropertyName("at")] public DateTimeOffset At { get; set; }
        [JsonPropertyName("sku")] public string? Sku { get; set; }
        [JsonPropertyName("name")] public string? Name { get; set; }
        [JsonPropertyName("price")] public double Price { get; set; }
        [JsonPropertyName("qty")] public int Quantity { get; set; }
        [JsonPropertyName("currency")] public string? Currency { get; set; }
        [JsonPropertyName("order_id")] public string? OrderId { get; set; }
        [JsonPropertyName("total")] public double Total { get; set; }
    }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PlainStates.Shopper))]
[JsonSerializable(typeof(PlainStates.Session))]
[JsonSerializable(typeof(PlainStates.Cart))]
internal sealed partial class PlainJsonContext : JsonSerializerContext;
