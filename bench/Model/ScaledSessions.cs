using System.Globalization;
using System.Text;
using CartRecovery.Model.Data;

namespace CartRecovery.Bench.Model;

/// <summary>
/// One row per REES46 session (events up to the first cart add, or up to the last event before a purchase),
/// resampled to the requested size with ±10% jitter on amounts and durations, written fully numeric
/// (brand and top-level category as frequency-ranked codes) so both libraries read identical floats.
/// </summary>
internal static class ScaledSessions
{
    public static (int Features, int Positives) Write(string eventsGz, string csv, int rows, int seed)
    {
        var sessions = new Dictionary<string, List<string[]>>(StringComparer.Ordinal);
        var order = new List<string>();
        using (var records = CsvRecords.Open(eventsGz))
        {
            while (records.Read() is { } f)
            {
                if (!sessions.TryGetValue(f[8], out var list))
                {
                    sessions[f[8]] = list = new List<string[]>();
                    order.Add(f[8]);
                }

                list.Add(f);
            }
        }

        var brands = Codes(sessions.Values.SelectMany(s => s).Select(e => e[5]));
        var categories = Codes(sessions.Values.SelectMany(s => s).Select(e => e[4].Split('.')[0]));
        var baseRows = new List<(double[] X, int Y)>();
        foreach (var events in order.Select(id => sessions[id]))
        {
            var cart = events.FindIndex(e => e[1] == "cart");
            var purchase = events.FindIndex(e => e[1] == "purchase");
            var end = cart >= 0 ? cart + 1 : purchase >= 0 ? purchase : events.Count;
            if (end == 0)
            {
                continue;
            }

            var seen = events.Take(end).ToList();
            var prices = seen.Select(e => double.Parse(e[6], CultureInfo.InvariantCulture)).ToArray();
            var t0 = DateTime.Parse(seen[0][0][..19], CultureInfo.InvariantCulture);
            var t1 = DateTime.Parse(seen[^1][0][..19], CultureInfo.InvariantCulture);
            var item = seen[^1];
            baseRows.Add(([
                seen.Count(e => e[1] == "view"), seen.Count(e => e[1] == "cart"), seen.Select(e => e[2]).Distinct().Count(),
                seen.Select(e => e[3]).Distinct().Count(), prices.Average(), prices.Max(), prices[^1], (t1 - t0).TotalSeconds, t0.Hour,
                item[4].Length == 0 ? double.NaN : categories[item[4].Split('.')[0]], item[5].Length == 0 ? double.NaN : brands[item[5]],
            ], purchase >= 0 ? 1 : 0));
        }

        var rng = new Random(seed);
        var sb = new StringBuilder("views,carts,distinct_products,distinct_categories,mean_price,max_price,item_price,duration_s,hour,category,brand,label\n");
        var positives = 0;
        for (var r = 0; r < rows; r++)
        {
            var (x, y) = baseRows[rng.Next(baseRows.Count)];
            for (var i = 0; i < x.Length; i++)
            {
                var v = i is >= 4 and <= 7 ? x[i] * (0.9 + (0.2 * rng.NextDouble())) : x[i];
                sb.Append(double.IsNaN(v) ? "" : ((float)v).ToString("R", CultureInfo.InvariantCulture)).Append(',');
            }

            sb.Append(y).Append('\n');
            positives += y;
        }

        File.WriteAllText(csv, sb.ToString());
        return (baseRows[0].X.Length, positives);
    }

    private static Dictionary<string, int> Codes(IEnumerable<string> values) =>
        values.Where(v => v.Length > 0).GroupBy(v => v, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select((g, i) => (g.Key, i)).ToDictionary(p => p.Key, p => p.i, StringComparer.Ordinal);
}
