using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace CartRecovery.Gateway.Metrics;

/// <summary>
/// Prometheus text exposition over System.Diagnostics.Metrics (no exporter package exists in our
/// package source). A MeterListener aggregates our meters in place: counters and up-down counters
/// as sums, histograms as cumulative buckets. Series are keyed by tag values without allocating on
/// the hot path.
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Aggregate> _aggregates = new();

    /// <summary>Every meter whose name starts with one of the prefixes, process-wide (tools, benchmarks).</summary>
    public PrometheusMetrics(params string[] meterPrefixes)
        : this(meter => meterPrefixes.Any(p => meter.Name.StartsWith(p, StringComparison.Ordinal)))
    {
    }

    /// <summary>Exactly these meter instances: one app's own, even with several apps in one process.</summary>
    public PrometheusMetrics(params Meter[] meters)
        : this(meter => meters.Any(m => ReferenceEquals(m, meter)))
    {
    }

    private PrometheusMetrics(Func<Meter, bool> include)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (include(instrument.Meter))
            {
                _aggregates[instrument] = new Aggregate(instrument);
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.MeasurementsCompleted = (instrument, _) => _aggregates.TryRemove(instrument, out Aggregate? _);
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_aggregates.TryGetValue(instrument, out var aggregate))
        {
            aggregate.Record(value, tags);
        }
    }

    /// <summary>The current values in Prometheus text format 0.0.4.</summary>
    public string Render()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder(8192);
        foreach (var group in _aggregates.Values.GroupBy(a => a.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var first = group.First();
            text.Append("# HELP ").Append(first.Name).Append(' ').Append(Escape(first.Help)).Append('\n');
            text.Append("# TYPE ").Append(first.Name).Append(' ').Append(first.PromType).Append('\n');
            foreach (var aggregate in group)
            {
                aggregate.Write(text);
            }
        }

        return text.ToString();
    }

    private static string Escape(string help) => help.Replace("\\", "\\\\").Replace("\n", "\\n");

    public void Dispose() => _listener.Dispose();

    private readonly record struct SeriesKey(string? N1, object? V1, string? N2, object? V2, string? N3, object? V3);

    private sealed class Series(int buckets)
    {
        public double Sum;
        public long Count;
        public readonly long[] Buckets = new long[buckets];
    }

    private sealed class Aggregate
    {
        private readonly ConcurrentDictionary<SeriesKey, Series> _series = new();
        private readonly double[] _bounds;
        private readonly bool _histogram;
        private readonly bool _cumulative;
        private readonly bool _observed;

        public Aggregate(Instrument instrument)
        {
            Name = instrument.Name;
            Help = string.IsNullOrEmpty(instrument.Description) ? instrument.Name : instrument.Description;
            var type = instrument.GetType().GetGenericTypeDefinition();
            _histogram = type == typeof(Histogram<>);
            _cumulative = type == typeof(Counter<>) || type == typeof(ObservableCounter<>);
            _observed = instrument.IsObservable;
            PromType = _histogram ? "histogram" : _cumulative ? "counter" : "gauge";
            _bounds = _histogram ? BoundsOf(instrument) : [];
        }

        public string Name { get; }

        public string Help { get; }

        public string PromType { get; }

        private static double[] BoundsOf(Instrument instrument) => instrument switch
        {
            Histogram<double> h when h.Advice?.HistogramBucketBoundaries is { Count: > 0 } b => b.ToArray(),
            Histogram<long> h when h.Advice?.HistogramBucketBoundaries is { Count: > 0 } b => b.Select(x => (double)x).ToArray(),
            _ => DefaultBuckets,
        };

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = new SeriesKey(
                tags.Length > 0 ? tags[0].Key : null, tags.Length > 0 ? tags[0].Value : null,
                tags.Length > 1 ? tags[1].Key : null, tags.Length > 1 ? tags[1].Value : null,
                tags.Length > 2 ? tags[2].Key : null, tags.Length > 2 ? tags[2].Value : null);
            var series = _series.GetOrAdd(key, static (_, n) => new Series(n), _bounds.Length);
            lock (series)
            {
                if (_histogram)
                {
                    var i = Array.BinarySearch(_bounds, value);
                    i = i < 0 ? ~i : i;
                    if (i < series.Buckets.Length)
                    {
                        series.Buckets[i]++;
                    }

                    series.Sum += value;
                    series.Count++;
                }
                else if (_observed)
                {
                    // Observable instruments report their current (or cumulative) value each scrape.
                    series.Sum = value;
                }
                else
                {
                    series.Sum += value;
                }
            }
        }

        public void Write(StringBuilder text)
        {
            foreach (var (key, series) in _series)
            {
                var labels = Labels(key);
                lock (series)
                {
                    if (_histogram)
                    {
                        long cumulative = 0;
                        for (var i = 0; i < _bounds.Length; i++)
                        {
                            cumulative += series.Buckets[i];
                            Line(text, Name + "_bucket", Join(labels, "le=\"" + Format(_bounds[i]) + "\""), cumulative);
                        }

                        Line(text, Name + "_bucket", Join(labels, "le=\"+Inf\""), series.Count);
                        Line(text, Name + "_sum", labels, series.Sum);
                        Line(text, Name + "_count", labels, series.Count);
                    }
                    else
                    {
                        Line(text, Name, labels, series.Sum);
                    }
                }
            }
        }

        private static string Labels(SeriesKey k)
        {
            var parts = new List<string>(3);
            Add(parts, k.N1, k.V1);
            Add(parts, k.N2, k.V2);
            Add(parts, k.N3, k.V3);
            return string.Join(',', parts);
        }

        private static void Add(List<string> parts, string? name, object? value)
        {
            if (name is not null)
            {
                var v = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
                parts.Add($"{name}=\"{v.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n")}\"");
            }
        }

        private static string Join(string labels, string extra) => labels.Length == 0 ? extra : labels + "," + extra;

        private static void Line(StringBuilder text, string name, string labels, double value)
        {
            text.Append(name);
            if (labels.Length > 0)
            {
                text.Append('{').Append(labels).Append('}');
            }

            text.Append(' ').Append(Format(value)).Append('\n');
        }

        private static string Format(double v) => double.IsPositiveInfinity(v) ? "+Inf" : v.ToString("R", CultureInfo.InvariantCulture);
    }
}
