using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CartRecovery.Gateway.Hosting;
using CartRecovery.Gateway.Tests.Support;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Options;

namespace CartRecovery.Gateway.Tests;

/// <summary><c>POST /v1/events</c> over real HTTP.</summary>
public sealed class EventsApiTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    private static string NewShopper(string name) => $"{name}-{Guid.NewGuid():N}";

    [Fact]
    public async Task Mixed_batch_is_accepted_per_event_with_errors_by_index_and_field()
    {
        var shopper = NewShopper("mixed");
        var badPrice = Events.AddToCart(shopper, "cart-m", sku: "BAD-PRICE");
        badPrice["item"]!["price"] = "cheap";
        var badWhen = Events.AddToCart(shopper, "cart-m", sku: "BAD-WHEN");
        badWhen["occurred_at"] = "yesterday";
        var noId = Events.AddToCart(shopper, "cart-m", sku: "NO-ID");
        noId.Remove("event_id");
        var badCurrency = Events.AddToCart(shopper, "cart-m", sku: "BAD-CUR");
        badCurrency["item"]!["currency"] = "euro";

        var body = new JsonArray(
            Events.AddToCart(shopper, "cart-m", sku: "OK-1"),
            noId,
            Events.Make("teleport", shopper),
            badPrice,
            JsonValue.Create(42),
            Events.AddToCart(shopper, "cart-m", sku: "OK-2", quantity: 2),
            badWhen,
            badCurrency,
            Events.Make("add_to_cart", shopper, "cart-m"));

        var response = await app.PostEventsAsync(body);
        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());
        Assert.Equal(9, response.Json.GetProperty("received").GetInt32());
        Assert.Equal(2, response.Json.GetProperty("accepted").GetInt32());
        var errors = response.Json.GetProperty("rejected").EnumerateArray()
            .Select(e => (e.GetProperty("index").GetInt32(), e.GetProperty("field").GetString()))
            .ToList();
        Assert.Equal(
            [(1, "event_id"), (2, "type"), (3, "item.price"), (4, "event"), (6, "occurred_at"), (7, "item.currency"), (8, "item")],
            errors);
        Assert.All(response.Json.GetProperty("rejected").EnumerateArray(), e => Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("reason").GetString())));

        // Only the valid events changed the cart.
        var cart = (await app.GetCartAsync(shopper, "cart-m"))!.Value;
        Assert.Equal(["OK-1", "OK-2"], cart.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("sku").GetString()).Order());
        Assert.Equal(3, Events.Quantity(cart));
    }

    [Fact]
    public async Task The_one_silo_keeps_no_grain_directory_cache_beside_its_directory()
    {
        // The embedded silo owns the whole directory: its activations are counted by Orleans'
        // catalog gauge, and the directory cache's gauge stays at zero (no cache to walk).
        var meter = app.Service<Orleans.Runtime.OrleansInstruments>().Meter;
        var observed = new Dictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == meter && instrument.Name is "orleans-directory-cache-size" or "orleans-catalog-activations")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => observed[instrument.Name] = observed.GetValueOrDefault(instrument.Name) + value);
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => observed[instrument.Name] = observed.GetValueOrDefault(instrument.Name) + value);
        listener.Start();

        var shoppers = Enumerable.Range(0, 20).Select(i => NewShopper($"dir{i}")).ToArray();
        var response = await app.PostEventsAsync(new JsonArray(shoppers.Select(s => (JsonNode)Events.AddToCart(s, "cart-d")).ToArray()));
        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());

        listener.RecordObservableInstruments();
        Assert.True(observed.GetValueOrDefault("orleans-catalog-activations") >= shoppers.Length, string.Join(", ", observed));
        Assert.Equal(0, observed.GetValueOrDefault("orleans-directory-cache-size", -1));
    }

    [Fact]
    public async Task Single_event_object_and_wrapped_batch_are_accepted_and_all_bad_is_400()
    {
        var shopper = NewShopper("shapes");
        var single = await app.PostEventsAsync(Events.PageView(shopper));
        Assert.Equal(HttpStatusCode.OK, single.Status);
        Assert.Equal(1, single.Json.GetProperty("accepted").GetInt32());

        var wrapped = await app.PostEventsAsync(new JsonObject { ["events"] = Events.Batch(Events.PageView(shopper), Events.PageView(shopper)) });
        Assert.Equal(HttpStatusCode.OK, wrapped.Status);
        Assert.Equal(2, wrapped.Json.GetProperty("accepted").GetInt32());

        var allBad = await app.PostEventsAsync(Events.Batch(Events.Make("teleport", shopper)));
        Assert.Equal(HttpStatusCode.BadRequest, allBad.Status);
        Assert.Equal("type", Assert.Single(allBad.Json.GetProperty("rejected").EnumerateArray()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Without_a_valid_key_or_token_it_is_401()
    {
        var body = Events.PageView(NewShopper("nokey")).ToJsonString();
        var none = await app.SendAsync(HttpMethod.Post, "v1/events", json: body);
        Assert.Equal(HttpStatusCode.Unauthorized, none.Status);
        Assert.StartsWith("authorization", none.Error, StringComparison.Ordinal);

        var wrongKey = await app.SendAsync(HttpMethod.Post, "v1/events", json: body, headers: new Dictionary<string, string> { ["X-Api-Key"] = "test-kez" });
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.Status);

        // An admin token is not an ingestion credential.
        var admin = await app.SendAsync(HttpMethod.Post, "v1/events", bearer: await app.AdminTokenAsync(), json: body);
        Assert.Equal(HttpStatusCode.Unauthorized, admin.Status);
    }

    [Fact]
    public async Task Shopper_token_may_only_send_its_own_events()
    {
        var me = NewShopper("own");
        var victim = NewShopper("victim");
        Assert.Equal(HttpStatusCode.OK, (await app.PostEventsAsync(Events.AddToCart(victim, "cart-v", sku: "V-1"))).Status);
        var token = await app.ShopperTokenAsync(me);

        var mixed = await app.PostEventsAsShopperAsync(Events.Batch(
            Events.AddToCart(me, "cart-me", sku: "MINE"),
            Events.AddToCart(victim, "cart-v", sku: "INJECTED", quantity: 9)), token);
        Assert.Equal(HttpStatusCode.OK, mixed.Status);
        Assert.Equal(1, mixed.Json.GetProperty("accepted").GetInt32());
        var error = Assert.Single(mixed.Json.GetProperty("rejected").EnumerateArray());
        Assert.Equal(1, error.GetProperty("index").GetInt32());
        Assert.Equal("shopper_id", error.GetProperty("field").GetString());

        var foreign = await app.PostEventsAsShopperAsync(Events.AddToCart(victim, "cart-v", sku: "INJECTED"), token);
        Assert.Equal(HttpStatusCode.BadRequest, foreign.Status);
        Assert.Equal("shopper_id", Assert.Single(foreign.Json.GetProperty("rejected").EnumerateArray()).GetProperty("field").GetString());

        var victimCart = (await app.GetCartAsync(victim, "cart-v"))!.Value;
        Assert.Equal(["V-1"], victimCart.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("sku").GetString()));
        Assert.Equal(1, Events.Quantity(victimCart));
        Assert.Equal(1, Events.Quantity((await app.GetCartAsync(me, "cart-me"))!.Value));
    }

    [Fact]
    public async Task Body_over_one_megabyte_is_413_with_or_without_content_length()
    {
        var shopper = NewShopper("big");
        var events = new JsonArray();
        var text = new StringBuilder();
        while (true)
        {
            events.Add(Events.PageView(shopper, "https://shop.example/" + new string('p', 1800)));
            if (events.Count % 50 == 0 && events.ToJsonString().Length > 1024 * 1024 + 1024)
            {
                break;
            }
        }

        var body = Encoding.UTF8.GetBytes(events.ToJsonString());
        Assert.True(body.Length is > 1024 * 1024 and < 2 * 1024 * 1024);

        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/events") { Content = new ByteArrayContent(body) })
        {
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add("X-Api-Key", GatewayApp.IngestKey);
            var sized = await GatewayApp.ReadAsync(await app.Http.SendAsync(request));
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, sized.Status);
            Assert.StartsWith("body", sized.Error, StringComparison.Ordinal);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/events") { Content = new StreamContent(new UnknownLengthStream(body)) })
        {
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add("X-Api-Key", GatewayApp.IngestKey);
            request.Headers.TransferEncodingChunked = true;
            var chunked = await GatewayApp.ReadAsync(await app.Http.SendAsync(request));
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.Status);
            Assert.StartsWith("body", chunked.Error, StringComparison.Ordinal);
        }

        // Nothing of the refused bodies was applied.
        Assert.Equal(HttpStatusCode.NotFound, (await app.GetAsync($"v1/shoppers/{shopper}", await app.AdminTokenAsync())).Status);
    }

    [Fact]
    public async Task Unusable_bodies_are_400_naming_the_field()
    {
        foreach (var (body, field) in new[]
        {
            ("{\"event_id\": \"e-1\", \"type\": ", "body"),
            ("not json at all", "body"),
            ("\"a string\"", "body"),
            ("{\"events\": 5}", "body"),
            ("[" + string.Join(",", Enumerable.Repeat(Events.PageView("too-many").ToJsonString(), 1001)) + "]", "events"),
        })
        {
            var response = await app.SendAsync(HttpMethod.Post, "v1/events", json: body, headers: new Dictionary<string, string> { ["X-Api-Key"] = GatewayApp.IngestKey });
            Assert.True(response.Status == HttpStatusCode.BadRequest, $"{body[..Math.Min(body.Length, 40)]}: {response.Status}");
            Assert.StartsWith(field + ":", response.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Duplicate_events_are_applied_once()
    {
        var shopper = NewShopper("dup");
        var add = Events.AddToCart(shopper, "cart-d", sku: "DUP", quantity: 2, eventId: Events.NewId("dup"));

        var first = await app.PostEventsAsync(Events.Batch(add, add));
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.OK, (await app.PostEventsAsync(add)).Status);

        // The same event again through a shopper token and over the hub.
        Assert.Equal(HttpStatusCode.OK, (await app.PostEventsAsShopperAsync(add, await app.ShopperTokenAsync(shopper))).Status);
        await using (var hub = await app.ConnectShopperAsync(shopper))
        {
            await hub.InvokeAsync<JsonElement>("Track", add);
        }

        var cart = (await app.GetCartAsync(shopper, "cart-d"))!.Value;
        Assert.Equal(2, Events.Quantity(cart));
        Assert.Single(cart.GetProperty("events").EnumerateArray());

        // A different event id for the same item does count.
        Assert.Equal(HttpStatusCode.OK, (await app.PostEventsAsync(Events.AddToCart(shopper, "cart-d", sku: "DUP", quantity: 1))).Status);
        Assert.Equal(3, Events.Quantity((await app.GetCartAsync(shopper, "cart-d"))!.Value));
    }

    private static JsonObject Purchase(string shopperId, string cartId, double total) =>
        Events.With(Events.Make("purchase", shopperId, cartId), "order", new JsonObject { ["order_id"] = Events.NewId("o"), ["total"] = total, ["currency"] = "EUR", ["skus"] = new JsonArray("SKU-1") });

    private static JsonObject Backdated(JsonObject e, TimeSpan by)
    {
        e["occurred_at"] = (DateTimeOffset.UtcNow - by).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        return e;
    }

    [Fact]
    public async Task A_browser_cannot_claim_revenue_or_move_the_clock()
    {
        var shopper = NewShopper("browser");
        var token = await app.ShopperTokenAsync(shopper);

        // A purchase with a shopper token is refused by field, alone or in a batch.
        var refused = await app.PostEventsAsShopperAsync(Purchase(shopper, "cart-b", 99_999), token);
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        var error = Assert.Single(refused.Json.GetProperty("rejected").EnumerateArray());
        Assert.Equal("type", error.GetProperty("field").GetString());
        Assert.Contains("purchases come from the store backend", error.GetProperty("reason").GetString(), StringComparison.Ordinal);

        // A backdated add to cart is timed when the gateway receives it.
        var received = DateTimeOffset.UtcNow;
        var mixed = await app.PostEventsAsShopperAsync(Events.Batch(
            Backdated(Events.AddToCart(shopper, "cart-b", price: 400), TimeSpan.FromHours(2)),
            Purchase(shopper, "cart-b", 400),
            Events.PageView(shopper)), token);
        Assert.Equal(HttpStatusCode.OK, mixed.Status);
        Assert.Equal(2, mixed.Json.GetProperty("accepted").GetInt32());
        Assert.Equal([(1, "type")], mixed.Json.GetProperty("rejected").EnumerateArray().Select(r => (r.GetProperty("index").GetInt32(), r.GetProperty("field").GetString())));

        var cart = (await app.GetCartAsync(shopper, "cart-b"))!.Value;
        var lastActivity = cart.GetProperty("last_activity_at").GetDateTimeOffset();
        Assert.True(lastActivity >= received.AddSeconds(-1) && lastActivity <= DateTimeOffset.UtcNow.AddSeconds(1), $"last_activity_at {lastActivity:O}, received {received:O}");
        Assert.All(cart.GetProperty("events").EnumerateArray(), e => Assert.True(e.GetProperty("at").GetDateTimeOffset() >= received.AddSeconds(-1)));
        Assert.True(!cart.TryGetProperty("abandoned_at", out var abandoned) || abandoned.ValueKind == JsonValueKind.Null, $"abandoned at {abandoned}");
        Assert.DoesNotContain(cart.GetProperty("stage").GetString(), new[] { "abandoned", "purchased", "recovered" });

        // The store backend (ingest key) keeps its times and reports purchases.
        var backend = NewShopper("backend");
        var at = DateTimeOffset.UtcNow.AddHours(-2);
        var add = Events.AddToCart(backend, "cart-k", price: 30);
        add["occurred_at"] = at.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(HttpStatusCode.OK, (await app.PostEventsAsync(add)).Status);
        var kept = (await app.GetCartAsync(backend, "cart-k"))!.Value.GetProperty("created_at").GetDateTimeOffset();
        Assert.True((kept - at).Duration() < TimeSpan.FromSeconds(1), $"created_at {kept:O}, sent {at:O}");
        var bought = await app.PostEventsAsync(Purchase(backend, "cart-k", 30));
        Assert.Equal(1, bought.Json.GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task Every_event_of_a_batch_costs_one_of_the_shoppers_budget()
    {
        var limits = app.Service<IOptions<LimitsOptions>>().Value;
        var burst = limits.EventsPerShopperPerSecond * 10;
        var shopper = NewShopper("cost");
        var token = await app.ShopperTokenAsync(shopper);
        JsonArray Views(int n) => new(Enumerable.Range(0, n).Select(_ => (JsonNode)Events.PageView(shopper)).ToArray());

        // More events than the burst in one request never pass, and take nothing of the budget.
        var tooMany = await app.PostEventsAsShopperAsync(Views(burst + 1), token);
        Assert.True(tooMany.Status == HttpStatusCode.TooManyRequests, tooMany.ToString()[..Math.Min(300, tooMany.ToString().Length)]);
        Assert.StartsWith("shopper_id", tooMany.Error, StringComparison.Ordinal);

        var whole = await app.PostEventsAsShopperAsync(Views(burst), token);
        Assert.Equal(HttpStatusCode.OK, whole.Status);
        Assert.Equal(burst, whole.Json.GetProperty("accepted").GetInt32());

        // The burst is spent: a few more within the same second are refused.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await app.PostEventsAsShopperAsync(Views(limits.EventsPerShopperPerSecond), token)).Status);
    }

    [Fact]
    public async Task The_store_backend_is_not_held_to_a_shoppers_budget()
    {
        var limits = app.Service<IOptions<LimitsOptions>>().Value;
        var burst = limits.EventsPerShopperPerSecond * 10;
        var shopper = NewShopper("relayed");
        JsonArray Views(int n) => new(Enumerable.Range(0, n).Select(_ => (JsonNode)Events.PageView(shopper)).ToArray());

        // More of one shopper's events than a browser may send at once, twice in a row, with the ingest key.
        for (var round = 0; round < 2; round++)
        {
            var relayed = await app.PostEventsAsync(Views(burst + 1));
            Assert.True(relayed.Status == HttpStatusCode.OK, relayed.ToString()[..Math.Min(300, relayed.ToString().Length)]);
            Assert.Equal(burst + 1, relayed.Json.GetProperty("accepted").GetInt32());
        }

        // The shopper's own budget is untouched by what the backend relayed.
        var token = await app.ShopperTokenAsync(shopper);
        Assert.Equal(HttpStatusCode.OK, (await app.PostEventsAsShopperAsync(Views(burst), token)).Status);
    }

    /// <summary>A readable stream that does not report its length, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 8192));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
