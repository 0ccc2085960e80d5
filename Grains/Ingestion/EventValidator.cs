using System.Text.Json;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Json;

namespace CartRecovery.Grains.Ingestion;

/// <summary>
/// Turns untrusted JSON into valid events. Each event of a batch stands alone: a bad one is
/// reported with its index, field and reason and changes nothing; the others go ahead.
/// </summary>
public sealed class EventValidator(TimeProvider time)
{
    public const int MaxBatch = 1000;
    public const int MaxBodyBytes = 1024 * 1024;
    private const int MaxId = 128;
    private const int MaxText = 256;
    private const int MaxUrl = 2048;
    private const int MaxSkus = 500;
    private const int MaxEmail = 254;
    private const int MaxQuantity = 10_000;
    private static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Parses a request body: one event object, an array of events, or {"events": [...]}. With
    /// <paramref name="requiredShopper"/>, events of any other shopper are refused.
    /// </summary>
    public (List<StorefrontEvent> Valid, IngestResult Result) ParseBatch(ReadOnlySpan<byte> body, string? requiredShopper = null)
    {
        // One pass over the bytes finds each event's extent; each event is then read straight from
        // its own bytes, so a malformed one is refused alone and nothing is parsed twice.
        var items = new List<(int Start, int Length, bool IsObject)>();
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read())
            {
                throw new BadBatchException("body: expected an event object or an array of events");
            }

            if (reader.TokenType == JsonTokenType.StartObject)
            {
                var start = (int)reader.TokenStartIndex;
                var events = reader;
                if (FindEvents(ref events))
                {
                    reader = events;
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        items.Add((start, (int)reader.BytesConsumed - start, true));
                    }
                }
                else
                {
                    reader.Skip();
                    items.Add((start, (int)reader.BytesConsumed - start, true));
                }
            }

            if (reader.TokenType == JsonTokenType.StartArray)
            {
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var start = (int)reader.TokenStartIndex;
                    var isObject = reader.TokenType == JsonTokenType.StartObject;
                    reader.Skip();
                    items.Add((start, (int)reader.BytesConsumed - start, isObject));
                }
            }
            else if (items.Count == 0)
            {
                throw new BadBatchException("body: expected an event object or an array of events");
            }

            // Whatever follows the batch must be valid JSON too (in practice: nothing).
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            throw new BadBatchException($"body: not valid JSON ({e.Message})");
        }

        if (items.Count > MaxBatch)
        {
            throw new BadBatchException($"events: a batch holds at most {MaxBatch} events (got {items.Count})");
        }

        var result = new IngestResult { Received = items.Count };
        var valid = new List<StorefrontEvent>(items.Count);
        var now = time.GetUtcNow();
        for (var i = 0; i < items.Count; i++)
        {
            var (start, length, isObject) = items[i];
            Accept(isObject ? body.Slice(start, length) : default, i, valid, result, requiredShopper, now);
        }

        result.Accepted = valid.Count;
        return (valid, result);
    }

    /// <summary>
    /// For a top-level object: moves the reader onto the value of its "events" property (the
    /// wrapped form); false when the object has none and is itself one event.
    /// </summary>
    private static bool FindEvents(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isEvents = reader.ValueTextEquals("events"u8);
            reader.Read();
            if (isEvents)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }

    /// <summary>One event's bytes (empty when the item is not an object).</summary>
    private void Accept(ReadOnlySpan<byte> json, int index, List<StorefrontEvent> valid, IngestResult result, string? requiredShopper, DateTimeOffset now)
    {
        if (json.IsEmpty)
        {
            result.Rejected.Add(new EventError(index, "event", "must be a JSON object"));
            return;
        }

        StorefrontEvent? e;
        try
        {
            e = JsonSerializer.Deserialize(json, GrainsJsonContext.Default.StorefrontEvent);
        }
        catch (JsonException ex)
        {
            var field = ex.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "event";
            result.Rejected.Add(new EventError(index, field, "has a value of the wrong type or format"));
            return;
        }

        if (e is null)
        {
            result.Rejected.Add(new EventError(index, "event", "must be a JSON object"));
            return;
        }

        var error = Validate(e, now);
        if (error is null && requiredShopper is not null && e.ShopperId != requiredShopper)
        {
            error = ("shopper_id", "does not match the shopper of the token");
        }

        if (error is not null)
        {
            result.Rejected.Add(new EventError(index, error.Value.Field, error.Value.Reason));
            return;
        }

        valid.Add(e);
    }

    /// <summary>The first problem with an event, or null when it is valid.</summary>
    public (string Field, string Reason)? Validate(StorefrontEvent e) => Validate(e, time.GetUtcNow());

    private (string Field, string Reason)? Validate(StorefrontEvent e, DateTimeOffset now)
    {
        return Id("event_id", e.EventId, required: true)
            ?? (string.IsNullOrEmpty(e.Type) ? Err("type", "is required")
                : !EventTypes.All.Contains(e.Type) ? Err("type", $"unknown event type '{Truncate(e.Type)}'") : null)
            ?? Id("shopper_id", e.ShopperId, required: true)
            ?? Id("session_id", e.SessionId, required: true)
            ?? Id("cart_id", e.CartId, required: false)
            ?? When(e.OccurredAt, now)
            ?? (e.Device is null or "desktop" or "mobile" or "tablet" ? null : Err("device", "must be one of desktop, mobile, tablet"))
            ?? ByType(e);
    }

    private static (string, string)? When(DateTimeOffset at, DateTimeOffset now)
    {
        if (at == default)
        {
            return ("occurred_at", "is required (RFC 3339 timestamp)");
        }

        if (at < Earliest)
        {
            return ("occurred_at", "is before 2000-01-01");
        }

        return at > now.AddDays(1) ? Err("occurred_at", "is more than a day in the future") : null;
    }

    /// <summary>The blocks a type requires, then every block present, whatever the type (all of them reach the grains).</summary>
    private static (string, string)? ByType(StorefrontEvent e)
    {
        switch (e.Type)
        {
            case EventTypes.AddToCart or EventTypes.RemoveFromCart or EventTypes.CartUpdate or EventTypes.ProductView when e.Item is null:
                return ("item", $"is required for {e.Type}");
            case EventTypes.Purchase when e.Order is null:
                return ("order", "is required for purchase");
            case EventTypes.Consent when e.Consent is null:
                return ("consent", "is required for consent");
            case EventTypes.Identify when e.Customer is null || (string.IsNullOrEmpty(e.Customer.Id) && string.IsNullOrEmpty(e.Customer.Email)):
                return ("customer", "needs an id or an email for identify");
            case EventTypes.NudgeShown or EventTypes.NudgeClicked or EventTypes.NudgeDismissed when e.Nudge is null:
                return ("nudge", $"is required for {e.Type}");
        }

        return Item(e.Item, e.Type) ?? Order(e.Order) ?? Page(e.Page) ?? Customer(e.Customer)
            ?? (e.Nudge is { } n ? Text("nudge.nudge_id", n.NudgeId, 400, required: true) : null);
    }

    private static (string, string)? Item(ItemInfo? item, string type)
    {
        if (item is null)
        {
            return null;
        }

        return Id("item.sku", item.Sku, required: true)
            ?? Text("item.name", item.Name, MaxText)
            ?? Text("item.category", item.Category, MaxText)
            ?? Money("item.price", item.Price)
            ?? Currency("item.currency", item.Currency)
            ?? (item.Quantity < 0 ? Err("item.quantity", "must not be negative")
                : item.Quantity == 0 && type is EventTypes.AddToCart or EventTypes.RemoveFromCart ? Err("item.quantity", "must be at least 1")
                : item.Quantity > MaxQuantity ? Err("item.quantity", $"must be at most {MaxQuantity}") : null);
    }

    private static (string, string)? Order(OrderInfo? order)
    {
        if (order is null)
        {
            return null;
        }

        if (order.Skus is null)
        {
            return ("order.skus", "must be an array of skus (may be empty)");
        }

        return Id("order.order_id", order.OrderId, required: true)
            ?? Money("order.total", order.Total)
            ?? Currency("order.currency", order.Currency)
            ?? (order.Skus.Count > MaxSkus ? Err("order.skus", $"holds at most {MaxSkus} skus") : null)
            ?? order.Skus.Select((s, i) => Id($"order.skus[{i}]", s, required: true)).FirstOrDefault(x => x is not null);
    }

    private static (string, string)? Page(PageInfo? page) =>
        page is null ? null : Text("page.url", page.Url, MaxUrl) ?? Text("page.category", page.Category, MaxText);

    private static (string, string)? Customer(CustomerInfo? customer) =>
        customer is null ? null : Id("customer.id", customer.Id, required: false) ?? Email("customer.email", customer.Email);

    /// <summary>
    /// One address, as the store's email tool will use it: one '@' with text on both sides, no
    /// whitespace or control characters (CR/LF would add headers), no list or angle-bracket syntax.
    /// </summary>
    private static (string, string)? Email(string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (value.Length > MaxEmail)
        {
            return (field, $"is longer than {MaxEmail} characters");
        }

        var at = value.IndexOf('@');
        var bad = at <= 0 || at != value.LastIndexOf('@') || at == value.Length - 1
            || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '\u2028' or '\u2029' or ',' or ';' or '<' or '>' or '"' or '(' or ')');
        return bad ? (field, "is not an email address") : null;
    }

    private static (string, string)? Id(string field, string? value, bool required)
    {
        if (string.IsNullOrEmpty(value))
        {
            return required ? (field, "is required") : null;
        }

        if (value.Length > MaxId)
        {
            return (field, $"is longer than {MaxId} characters");
        }

        // '/' separates owner and id in grain keys, so it may not appear inside an id.
        foreach (var c in value)
        {
            if (char.IsControl(c) || c == '/')
            {
                return (field, "may not contain '/' or control characters");
            }
        }

        return null;
    }

    private static (string, string)? Text(string field, string? value, int max, bool required = false)
    {
        if (string.IsNullOrEmpty(value))
        {
            return required ? (field, "is required") : null;
        }

        if (value.Length > max)
        {
            return (field, $"is longer than {max} characters");
        }

        // Text reaches the admin view and the store's messaging tool: no control characters or line separators.
        foreach (var c in value)
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029')
            {
                return (field, "may not contain control characters");
            }
        }

        return null;
    }

    private static (string, string)? Money(string field, double value) =>
        !double.IsFinite(value) ? (field, "must be a finite number")
        : value < 0 ? (field, "must not be negative")
        : value > 1e9 ? (field, "is implausibly large (over 1e9)") : null;

    private static (string, string)? Currency(string field, string? value) =>
        value is null ? null
        : value.Length == 3 && value.All(char.IsAsciiLetterUpper) ? null
        : (field, "must be a three-letter upper-case ISO 4217 code");

    private static (string, string)? Err(string field, string reason) => (field, reason);

    private static string Truncate(string s) => s.Length > 40 ? s[..40] + "…" : s;
}

/// <summary>The request as a whole is unusable (not JSON, too many events): nothing was applied.</summary>
public sealed class BadBatchException(string message) : Exception(message);
