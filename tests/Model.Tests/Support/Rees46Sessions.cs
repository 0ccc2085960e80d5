using System.Globalization;
using System.Text;
using CartRecovery.Model.Data;
using CartRecovery.TestSupport;

namespace CartRecovery.Model.Tests.Support;

/// <summary>
/// Turns the real REES46 event log into one row per session, in session start order: features from the
/// events up to the first cart add (inclusive) — or, for sessions without one, up to the last event before
/// any purchase — and the label "the session ended in a purchase".
/// </summary>
public static class Rees46Sessions
{
    public const string Label = "purchased";

    private const string Header =
        "views,carts,distinct_products,distinct_categories,mean_price,max_price,item_price,duration_s,hour,category,brand,purchased";

    /// <param name="cartSessionsOnly">Only sessions with a cart add (the abandonment population; about 80 in this slice).</param>
    public static (string Csv, int Rows, int Positives) Build(bool cartSessionsOnly)
    {
        var sessions = new Dictionary<string, List<Event>>(StringComparer.Ordinal);
        var order = new List<string>();
        using (var records = CsvRecords.Open(SharedData.Rees46))
        {
            int Col(string name) => records.RequireColumn(name, "column");
            int time = Col("event_time"), type = Col("event_type"), product = Col("product_id"), categoryId = Col("category_id"),
                categoryCode = Col("category_code"), brand = Col("brand"), price = Col("price"), session = Col("user_session");
            while (records.Read() is { } f)
            {
                var e = new Event(
                    DateTime.ParseExact(f[time], "yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
                    f[type], f[product], f[categoryId], f[categoryCode], f[brand],
                    double.Parse(f[price], CultureInfo.InvariantCulture));
                if (!sessions.TryGetValue(f[session], out var list))
                {
                    sessions[f[session]] = list = new List<Event>();
                    order.Add(f[session]);
                }

                list.Add(e);
            }
        }

        var sb = new StringBuilder(Header).Append('\n');
        int rows = 0, positives = 0;
        foreach (var id in order)
        {
            var events = sessions[id];
            var firstCart = events.FindIndex(e => e.Type == "cart");
            if (cartSessionsOnly && firstCart < 0)
            {
                continue;
            }

            var firstPurchase = events.FindIndex(e => e.Type == "purchase");
            var end = firstCart >= 0 ? firstCart + 1 : firstPurchase >= 0 ? firstPurchase : events.Count;
            if (end == 0)
            {
                continue;
            }

            var seen = events.Take(end).ToList();
            var item = seen[^1];
            var purchased = firstPurchase >= 0;
            sb.Append(CultureInfo.InvariantCulture, $"{seen.Count(e => e.Type == "view")},{seen.Count(e => e.Type == "cart")},")
                .Append(CultureInfo.InvariantCulture, $"{seen.Select(e => e.Product).Distinct().Count()},{seen.Select(e => e.CategoryId).Distinct().Count()},")
                .Append(CultureInfo.InvariantCulture, $"{Math.Round(seen.Average(e => e.Price), 2)},{seen.Max(e => e.Price)},{item.Price},")
                .Append(CultureInfo.InvariantCulture, $"{(item.Time - seen[0].Time).TotalSeconds},{seen[0].Time.Hour},")
                .Append(item.CategoryCode.Split('.')[0]).Append(',').Append(item.Brand).Append(',')
                .Append(purchased ? "TRUE" : "FALSE").Append('\n');
            rows++;
            positives += purchased ? 1 : 0;
        }

        return (sb.ToString(), rows, positives);
    }

    private sealed record Event(DateTime Time, string Type, string Product, string CategoryId, string CategoryCode, string Brand, double Price);
}
