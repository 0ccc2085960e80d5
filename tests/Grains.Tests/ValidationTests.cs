using System.Text;
using CartRecovery.Grains.Ingestion;

namespace CartRecovery.Grains.Tests;

public sealed class ValidationTests
{
    private static readonly EventValidator Validator = new(TimeProvider.System);

    private static string Valid(string extra = "", string type = "add_to_cart", string item = """{"sku":"A","price":10,"quantity":1,"currency":"EUR"}""") =>
        $$"""{"event_id":"e1","type":"{{type}}","shopper_id":"s1","session_id":"x1","occurred_at":"{{DateTimeOffset.UtcNow:O}}","item":{{item}}{{extra}}}""";

    private static EventError Reject(string json)
    {
        var (valid, result) = Validator.ParseBatch(Encoding.UTF8.GetBytes(json));
        Assert.Empty(valid);
        return Assert.Single(result.Rejected);
    }

    [Theory]
    [InlineData("""{"type":"add_to_cart","shopper_id":"s","session_id":"x","occurred_at":"2026-01-01T00:00:00Z"}""", "event_id", "is required")]
    [InlineData("""{"event_id":"e","type":"teleport","shopper_id":"s","session_id":"x","occurred_at":"2026-01-01T00:00:00Z"}""", "type", "unknown event type")]
    [InlineData("""{"event_id":"e","type":"page_view","session_id":"x","occurred_at":"2026-01-01T00:00:00Z"}""", "shopper_id", "is required")]
    [InlineData("""{"event_id":"e","type":"page_view","shopper_id":"s","occurred_at":"2026-01-01T00:00:00Z"}""", "session_id", "is required")]
    [InlineData("""{"event_id":"e","type":"page_view","shopper_id":"s","session_id":"x"}""", "occurred_at", "is required")]
    [InlineData("""{"event_id":"e","type":"page_view","shopper_id":"s","session_id":"x","occurred_at":"yesterday"}""", "occurred_at", "wrong type or format")]
    [InlineData("""{"event_id":"e","type":"add_to_cart","shopper_id":"s","session_id":"x","occurred_at":"2026-01-01T00:00:00Z"}""", "item", "is required for add_to_cart")]
    [InlineData("""{"event_id":"e","type":"purchase","shopper_id":"s","session_id":"x","occurred_at":"2026-01-01T00:00:00Z"}""", "order", "is required for purchase")]
    [InlineData("""{"event_id":"e","type":"page_view","shopper_id":"a/b","session_id":"x","occurred_at":"2026-01-01T00:00:00Z"}""", "shopper_id", "may not contain '/'")]
    [InlineData("""{"event_id":"e","type":"identify","shopper_id":"s","session_id":"x","occurred_at":"2026-01-01T00:00:00Z","customer":{"email":"not-an-email"}}""", "customer.email", "not an email")]
    [InlineData("""{"event_id":"e","type":"nudge_shown","shopper_id":"s","session_id":"x","occurred_at":"2026-01-01T00:00:00Z"}""", "nudge", "is required")]
    public void Each_bad_event_names_the_field_and_reason(string json, string field, string reason)
    {
        var error = Reject(json);
        Assert.Equal(field, error.Field);
        Assert.Contains(reason, error.Reason);
    }

    [Fact]
    public void Negative_quantity_non_finite_and_negative_prices_and_bad_currency_are_refused()
    {
        Assert.Equal("item.quantity", Reject(Valid(item: """{"sku":"A","price":10,"quantity":-2}""")).Field);
        Assert.Equal("item.price", Reject(Valid(item: """{"sku":"A","price":"NaN","quantity":1}""")).Field);
        Assert.Equal("item.price", Reject(Valid(item: """{"sku":"A","price":1e400,"quantity":1}""")).Field);
        Assert.Contains("negative", Reject(Valid(item: """{"sku":"A","price":-0.5,"quantity":1}""")).Reason);
        Assert.Equal("item.currency", Reject(Valid(item: """{"sku":"A","price":1,"quantity":1,"currency":"euro"}""")).Field);
    }

    [Fact]
    public void Timestamps_more_than_a_day_ahead_and_oversize_strings_are_refused()
    {
        var future = $$"""{"event_id":"e1","type":"page_view","shopper_id":"s1","session_id":"x1","occurred_at":"{{DateTimeOffset.UtcNow.AddDays(2):O}}"}""";
        Assert.Contains("future", Reject(future).Reason);
        var longSku = Valid(item: $$"""{"sku":"{{new string('x', 200)}}","price":1,"quantity":1}""");
        Assert.Equal("item.sku", Reject(longSku).Field);
        var longName = Valid(item: $$"""{"sku":"A","name":"{{new string('n', 300)}}","price":1,"quantity":1}""");
        Assert.Equal("item.name", Reject(longName).Field);
    }

    [Fact]
    public void A_batch_keeps_good_events_and_reports_bad_ones_by_index()
    {
        var body = $"[{Valid()},{{\"event_id\":\"x\"}},{Valid().Replace("\"e1\"", "\"e2\"")}, 42]";
        var (valid, result) = Validator.ParseBatch(Encoding.UTF8.GetBytes(body));
        Assert.Equal(4, result.Received);
        Assert.Equal(2, valid.Count);
        Assert.Equal([1, 3], result.Rejected.Select(r => r.Index));
    }

    [Fact]
    public void Whole_request_problems_fail_the_request()
    {
        Assert.Throws<BadBatchException>(() => Validator.ParseBatch("{not json"u8));
        Assert.Throws<BadBatchException>(() => Validator.ParseBatch("\"text\""u8));
        var tooMany = "[" + string.Join(',', Enumerable.Repeat(Valid(), EventValidator.MaxBatch + 1)) + "]";
        var error = Assert.Throws<BadBatchException>(() => Validator.ParseBatch(Encoding.UTF8.GetBytes(tooMany)));
        Assert.Contains("1000", error.Message);
    }

    [Fact]
    public void The_wrapped_forms_and_a_lone_event_parse_alike_and_trailing_garbage_fails_the_request()
    {
        var second = Valid().Replace("\"e1\"", "\"e2\"");
        Assert.Equal(["e1", "e2"], Validator.ParseBatch(Encoding.UTF8.GetBytes($$"""{"source":"web","events":[{{Valid()}},{{second}}]}""")).Valid.Select(e => e.EventId));
        Assert.Equal("e1", Assert.Single(Validator.ParseBatch(Encoding.UTF8.GetBytes($$"""{"events":{{Valid()}}}""")).Valid).EventId);
        Assert.Equal("e1", Assert.Single(Validator.ParseBatch(Encoding.UTF8.GetBytes(Valid())).Valid).EventId);
        Assert.Throws<BadBatchException>(() => Validator.ParseBatch(Encoding.UTF8.GetBytes($"[{Valid()}] [")));
        Assert.Throws<BadBatchException>(() => Validator.ParseBatch(Encoding.UTF8.GetBytes($$"""{"events":"none"}""")));
        Assert.Throws<BadBatchException>(() => Validator.ParseBatch(Encoding.UTF8.GetBytes($"[{Valid()},")));
    }

    [Fact]
    public void Events_of_another_shopper_are_refused_when_a_shopper_is_required()
    {
        var (valid, result) = Validator.ParseBatch(Encoding.UTF8.GetBytes(Valid()), requiredShopper: "someone-else");
        Assert.Empty(valid);
        Assert.Equal("shopper_id", Assert.Single(result.Rejected).Field);
    }

    /// <summary>An event of <paramref name="type"/> with the given extra properties (JSON text after the common ones).</summary>
    private static string Ev(string type, string extra) =>
        "{\"event_id\":\"e1\",\"type\":\"" + type + "\",\"shopper_id\":\"s1\",\"session_id\":\"x1\",\"occurred_at\":\"" + DateTimeOffset.UtcNow.ToString("O") + "\"" + extra + "}";

    private static string Identify(string email) => Ev("identify", ",\"customer\":{\"email\":" + System.Text.Json.JsonSerializer.Serialize(email) + "}");

    [Theory]
    [InlineData("a@b.co\r\nBcc: all@victims.example")]
    [InlineData("a@b.co\nBcc:x@y.z")]
    [InlineData("a@b.co\0")]
    [InlineData("a@b.co,c@d.example")]
    [InlineData("<a@b.co>")]
    [InlineData("a@b@c.co")]
    [InlineData("@b.co")]
    [InlineData("a@")]
    public void An_email_with_line_breaks_NUL_or_list_syntax_is_refused(string email)
    {
        Assert.Equal("customer.email", Reject(Identify(email)).Field);
    }

    [Fact]
    public void A_plain_email_is_accepted()
    {
        var (valid, _) = Validator.ParseBatch(Encoding.UTF8.GetBytes(Identify("ann.lee+shop@mail.example.com")));
        Assert.Single(valid);
    }

    [Theory]
    [InlineData("smart-fridge")]
    [InlineData("Desktop")]
    [InlineData("")]
    public void Device_is_one_of_desktop_mobile_tablet(string device)
    {
        Assert.Equal("device", Reject(Ev("page_view", ",\"device\":\"" + device + "\"")).Field);
        foreach (var ok in new[] { "desktop", "mobile", "tablet" })
        {
            Assert.Single(Validator.ParseBatch(Encoding.UTF8.GetBytes(Ev("page_view", ",\"device\":\"" + ok + "\""))).Valid);
        }
    }

    [Theory]
    [InlineData("item.name", "{\"sku\":\"A\",\"name\":\"bad\\u0000name\",\"price\":1,\"quantity\":1}")]
    [InlineData("item.name", "{\"sku\":\"A\",\"name\":\"two\\r\\nlines\",\"price\":1,\"quantity\":1}")]
    [InlineData("item.category", "{\"sku\":\"A\",\"category\":\"x\\u2028y\",\"price\":1,\"quantity\":1}")]
    public void Free_text_with_control_characters_is_refused(string field, string item)
    {
        Assert.Equal(field, Reject(Valid(item: item)).Field);
    }

    [Fact]
    public void Every_block_present_is_checked_whatever_the_type()
    {
        Assert.Equal("item.sku", Reject(Ev("checkout_started", ",\"item\":{\"sku\":\"" + new string('x', 5000) + "\"}")).Field);
        Assert.Equal("page.url", Reject(Ev("product_view", ",\"item\":{\"sku\":\"A\"},\"page\":{\"url\":\"" + new string('u', 5000) + "\"}")).Field);
        Assert.Equal("customer.email", Reject(Ev("page_view", ",\"customer\":{\"email\":\"x\\r\\ny@z\"}")).Field);
        Assert.Equal("nudge.nudge_id", Reject(Ev("page_view", ",\"nudge\":{\"nudge_id\":\"a\\u0000b\"}")).Field);
    }

    [Theory]
    [InlineData("{\"order_id\":\"o1\",\"total\":5,\"skus\":null}", "order.skus")]
    [InlineData("{\"order_id\":\"o1\",\"total\":5,\"skus\":[null]}", "order.skus[0]")]
    [InlineData("{\"order_id\":null,\"total\":5}", "order.order_id")]
    public void Nulls_where_values_belong_are_refused_not_failed(string order, string field)
    {
        Assert.Equal(field, Reject(Ev("purchase", ",\"order\":" + order)).Field);
    }
}
