using System.Globalization;
using System.IO.Compression;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Common;
using CsvHelper;

namespace CartRecovery.Grains.Replay;

/// <summary>
/// Reads the real storefront logs (REES46, Retailrocket; gzip or plain CSV) and maps them to v1
/// events. The mapping is documented in docs/replay.md; it is deterministic for an input and seed.
/// </summary>
public static class StorefrontLog
{
    public const string Rees46Header = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session";
    public const string RetailrocketHeader = "timestamp,visitorid,event,itemid,transactionid";
    private static readonly TimeSpan SessionGap = TimeSpan.FromMinutes(30);

    /// <summary>Loads a log, repeats it <paramref name="scale"/> times under fresh ids, and returns events in time order.</summary>
    public static List<StorefrontEvent> Load(string path, int scale = 1, int seed = 1, double consentRate = 0.5)
    {
        if (scale < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), "scale must be at least 1");
        }

        var records = ReadRecords(path);
        var header = records.Count > 0 ? string.Join(',', records[0].Select(c => c.Trim())) : throw new InvalidDataException($"{path}: empty file");
        var baseEvents = header switch
        {
            Rees46Header => FromRees46(records.Skip(1), path),
            RetailrocketHeader => FromRetailrocket(records.Skip(1), path),
            _ => throw new InvalidDataException($"{path}: unknown header '{header}' (expected REES46 or Retailrocket columns)"),
        };

        var result = new List<StorefrontEvent>(baseEvents.Count * scale + baseEvents.Count / 4);
        for (var copy = 0; copy < scale; copy++)
        {
            // Copies are shifted a little in time so they interleave rather than stack.
            var shift = TimeSpan.FromSeconds(copy * 37 % 600);
            var suffix = copy == 0 ? "" : "~" + copy.ToString(CultureInfo.InvariantCulture);
            var consented = new HashSet<string>();
            var started = new HashSet<string>();
            foreach (var e in baseEvents)
            {
                var shopper = e.ShopperId + suffix;
                var session = e.SessionId + suffix;
                var at = e.OccurredAt + shift;
                if (started.Add(session))
                {
                    result.Add(Make($"{seed}-{copy}-start-{session}", EventTypes.SessionStart, shopper, session, at));
                    if (consented.Add(shopper) && KeyHash.Fraction(shopper, "consent-" + seed) < consentRate)
                    {
                        var consent = Make($"{seed}-{copy}-consent-{shopper}", EventTypes.Consent, shopper, session, at);
                        consent.Consent = new ConsentInfo { Marketing = true };
                        result.Add(consent);
                    }
                }

                result.Add(new StorefrontEvent
                {
                    EventId = $"{seed}-{copy}-{e.EventId}",
                    Type = e.Type,
                    ShopperId = shopper,
                    SessionId = session,
                    OccurredAt = at,
                    Item = e.Item,
                    Order = e.Order is null ? null : new OrderInfo { OrderId = e.Order.OrderId + suffix, Total = e.Order.Total, Currency = e.Order.Currency, Skus = e.Order.Skus },
                    Device = e.Device,
                });
            }
        }

        // Stable: equal timestamps keep file order, so replays are repeatable.
        return result.Select((e, i) => (e, i)).OrderBy(x => x.e.OccurredAt).ThenBy(x => x.i).Select(x => x.e).ToList();
    }

    private static StorefrontEvent Make(string id, string type, string shopper, string session, DateTimeOffset at) =>
        new() { EventId = id, Type = type, ShopperId = shopper, SessionId = session, OccurredAt = at };

    private static readonly CsvReaderOptions CsvOptions = new()
    {
        HasHeader = false,
        Separator = ',',
        SkipEmptyLines = true,
        TrimWhitespace = false,
        MalformedData = CsvMalformedDataHandling.Throw,

        // Width is checked per format, so the message can name the row and the expected count.
        FieldCountMismatch = CsvFieldCountHandling.Allow,
    };

    /// <summary>Every non-empty record of the file, the header first (RFC 4180 quoting, LF or CRLF).</summary>
    private static List<string[]> ReadRecords(string path)
    {
        using Stream file = File.OpenRead(path);
        using var stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = CsvReader.Create(stream, CsvOptions, false);
        var records = new List<string[]>();
        try
        {
            while (reader.Read())
            {
                records.Add(reader.Current.ToArray());
            }
        }
        catch (CsvFormatException e)
        {
            throw new InvalidDataException($"{path}: row {records.Count + 1}: {e.Message}", e);
        }

        return records;
    }

    /// <summary>REES46: sessions and prices come from the data; view→product_view, cart→add_to_cart, purchase→purchase.</summary>
    private static List<StorefrontEvent> FromRees46(IEnumerable<string[]> rows, string path)
    {
        var events = new List<StorefrontEvent>();
        var row = 1;
        foreach (var f in rows)
        {
            row++;
            if (f.Length != 9)
            {
                throw new InvalidDataException($"{path}: row {row} has {f.Length} fields, expected 9");
            }

            var at = DateTimeOffset.ParseExact(f[0].Replace(" UTC", "", StringComparison.Ordinal), "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            var price = double.Parse(f[6], CultureInfo.InvariantCulture);
            var item = new ItemInfo { Sku = f[2], Name = f[5].Length > 0 ? $"{f[5]} {f[2]}" : f[2], Price = price, Currency = "USD", Quantity = 1, Category = f[4].Length > 0 ? f[4] : null };
            var e = new StorefrontEvent { EventId = "r" + row, ShopperId = "u" + f[7], SessionId = f[8], OccurredAt = at };
            if (!Complete(e, f[1] switch { "view" => EventTypes.ProductView, "cart" => EventTypes.AddToCart, "remove_from_cart" => EventTypes.RemoveFromCart, "purchase" => EventTypes.Purchase, _ => null }, item, $"o{row}"))
            {
                continue;
            }

            events.Add(e);
        }

        return events;
    }

    /// <summary>
    /// Gives a mapped event its v1 type and payload: the item for views and cart changes, a
    /// one-item order for purchases. False for source event types that have no v1 counterpart.
    /// </summary>
    private static bool Complete(StorefrontEvent e, string? type, ItemInfo item, string orderId)
    {
        if (type is null)
        {
            return false;
        }

        e.Type = type;
        if (type == EventTypes.Purchase)
        {
            e.Order = new OrderInfo { OrderId = orderId, Total = item.Price, Currency = item.Currency, Skus = [item.Sku] };
        }
        else
        {
            e.Item = item;
        }

        return true;
    }

    /// <summary>
    /// Retailrocket: no sessions or prices. Sessions are cut at 30-minute gaps per visitor; an item's
    /// price is derived from its id (between 5.00 and 199.99), the same everywhere it appears.
    /// </summary>
    private static List<StorefrontEvent> FromRetailrocket(IEnumerable<string[]> rows, string path)
    {
        var events = new List<StorefrontEvent>();
        var lastSeen = new Dictionary<string, (DateTimeOffset At, int Session)>();
        var row = 1;
        foreach (var f in rows)
        {
            row++;
            if (f.Length != 5)
            {
                throw new InvalidDataException($"{path}: row {row} has {f.Length} fields, expected 5");
            }

            var at = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(f[0], CultureInfo.InvariantCulture));
            var visitor = f[1];
            var session = lastSeen.TryGetValue(visitor, out var last) ? (at - last.At > SessionGap ? last.Session + 1 : last.Session) : 0;
            lastSeen[visitor] = (at, session);
            var price = 5 + KeyHash.Fnv1a("item:" + f[3]) % 19500 / 100.0;
            var item = new ItemInfo { Sku = f[3], Name = "item " + f[3], Price = price, Currency = "USD", Quantity = 1 };
            var e = new StorefrontEvent { EventId = "rr" + row, ShopperId = "v" + visitor, SessionId = $"v{visitor}-s{session}", OccurredAt = at };
            if (!Complete(e, f[2] switch { "view" => EventTypes.ProductView, "addtocart" => EventTypes.AddToCart, "transaction" => EventTypes.Purchase, _ => null }, item, "t" + f[4]))
            {
                continue;
            }

            events.Add(e);
        }

        return events;
    }
}
