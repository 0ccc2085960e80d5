using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace CartRecovery.Gateway.Metrics;

/// <summary>
/// Prometheus text exposition over System.Diagnostics.Metrics (no exporter package exists in our
/// package source). A MeterListener aggregates our meters in place: counters and up-down counters
/// as sums, histograms as cumulative buckets. Series are keyed by tag values without allocating on
/// the hot path, and a measurement takes no lock: grain calls record from every thread at once,
/// so a series is a cell per processor updated with <see cref="Interlocked"/>.
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
                var aggregate = new Aggregate(instrument);
                _aggregates[instrument] = aggregate;
                listener.EnableMeasurementEvents(instrument, aggregate); // handed back with each measurement
            }
        };
        _listener.MeasurementsCompleted = (instrument, _) => _aggregates.TryRemove(instrument, out Aggregate? _);
        _listener.SetMeasurementEventCallback<long>(static (_, v, tags, state) => ((Aggregate)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, v, tags, state) => ((Aggregate)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, v, tags, state) => ((Aggregate)state!).Record(v, tags));
        _listener.Start();
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

    private readonly record struct SeriesKey(string? N1, object? V1, string? N2, object? V2, string? N3, object? V3)
    {
        public static SeriesKey Of(ReadOnlySpan<KeyValuePair<string, object?>> tags) => new(
            tags.Length > 0 ? tags[0].Key : null, tags.Length > 0 ? tags[0].Value : null,
            tags.Length > 1 ? tags[1].Key : null, tags.Length > 1 ? tags[1].Value : null,
            tags.Length > 2 ? tags[2].Key : null, tags.Length > 2 ? tags[2].Value : null);

        /// <summary>
        /// The same tag objects as this key's (a caller passing its cached strings), checked without
        /// hashing; false only means "look it up".
        /// </summary>
        public bool IsSameAs(ReadOnlySpan<KeyValuePair<string, object?>> tags) => tags.Length switch
        {
            0 => N1 is null,
            1 => N2 is null && Same(N1, V1, tags[0]),
            2 => N3 is null && Same(N1, V1, tags[0]) && Same(N2, V2, tags[1]),
            3 => Same(N1, V1, tags[0]) && Same(N2, V2, tags[1]) && Same(N3, V3, tags[2]),
            _ => false,
        };

        private static bool Same(string? name, object? value, KeyValuePair<string, object?> tag) =>
            ReferenceEquals(name, tag.Key) && ReferenceEquals(value, tag.Value);
    }

    /// <summary>
    /// One series, as one cell per processor (threads on different cores do not contend for the same
    /// cache line; a scrape adds the cells up). Histograms count per bucket, the last slot for values
    /// above the highest bound; their count is the total of the slots, so a scrape always shows +Inf
    /// equal to the count. Instruments of whole numbers sum in <see cref="Cell.Whole"/>, the others
    /// (and histogram sums) in <see cref="Cell.Sum"/>.
    /// </summary>
    private sealed class Series
    {
        private static readonly int CellCount = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount, 1, 64));

        private readonly Cell[] _cells;

        public Series(SeriesKey key, int slots)
        {
            Key = key;
            _cells = new Cell[CellCount];
            for (var i = 0; i < _cells.Length; i++)
            {
                _cells[i] = new Cell(slots);
            }
        }

        public SeriesKey Key { get; }

        /// <summary>This thread's cell; updates still use Interlocked, as threads share a processor.</summary>
        public Cell Local => _cells[Thread.GetCurrentProcessorId() & (_cells.Length - 1)];

        /// <summary>Observed values are one value, kept in the first cell.</summary>
        public Cell First => _cells[0];

        public long Whole()
        {
            long total = 0;
            foreach (var cell in _cells)
            {
                total += Volatile.Read(ref cell.Whole);
            }

            return total;
        }

        public double Sum()
        {
            double total = 0;
            foreach (var cell in _cells)
            {
                total += Volatile.Read(ref cell.Sum);
            }

            return total;
        }

        public long Slot(int i)
        {
            long total = 0;
            foreach (var cell in _cells)
            {
                total += Volatile.Read(ref cell.Slots[i]);
            }

            return total;
        }
    }

    private sealed class Cell(int slots)
    {
        public readonly long[] Slots = slots == 0 ? [] : new long[slots];
        public long Whole;
        public double Sum;

        // Keeps the next cell's fields off this one's cache line.
#pragma warning disable CS0169 // never used: padding
        private readonly long _pad1, _pad2, _pad3, _pad4, _pad5, _pad6;
#pragma warning restore CS0169
    }

    private sealed class Aggregate
    {
        private readonly ConcurrentDictionary<SeriesKey, Series> _series = new();
        private Series? _last;
        private readonly double[] _bounds;
        private readonly bool _histogram;
        private readonly bool _cumulative;
        private readonly bool _observed;
        private readonly bool _whole;

        public Aggregate(Instrument instrument)
        {
            Name = instrument.Name;
            Help = string.IsNullOrEmpty(instrument.Description) ? instrument.Name : instrument.Description;
            var type = instrument.GetType().GetGenericTypeDefinition();
            _histogram = type == typeof(Histogram<>);
            _cumulative = type == typeof(Counter<>) || type == typeof(ObservableCounter<>);
            _observed = instrument.IsObservable;
            _whole = instrument.GetType().GetGenericArguments()[0] is var t && (t == typeof(long) || t == typeof(int));
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

        public void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (_histogram || !_whole)
            {
                Record((double)value, tags);
                return;
            }

            var series = SeriesOf(tags);
            if (_observed)
            {
                // Observable instruments report their current (or cumulative) value each scrape.
                Interlocked.Exchange(ref series.First.Whole, value);
            }
            else
            {
                Interlocked.Add(ref series.Local.Whole, value);
            }
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var series = SeriesOf(tags);
            if (_histogram)
            {
                var i = Array.BinarySearch(_bounds, value);
                var cell = series.Local;
                Interlocked.Increment(ref cell.Slots[i < 0 ? ~i : i]);
                Add(ref cell.Sum, value);
            }
            else if (_observed)
            {
                Interlocked.Exchange(ref series.First.Sum, value);
            }
            else
            {
                Add(ref series.Local.Sum, value);
            }
        }

        /// <summary>The series of these tags: the one used last when the caller passes the same tag objects, else by lookup.</summary>
        private Series SeriesOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var last = Volatile.Read(ref _last);
            if (last is not null && last.Key.IsSameAs(tags))
            {
                return last;
            }

            var key = SeriesKey.Of(tags);
            if (!_series.TryGetValue(key, out var series))
            {
                series = _series.GetOrAdd(key, static (k, slots) => new Series(k, slots), _histogram ? _bounds.Length + 1 : 0);
            }

            Volatile.Write(ref _last, series);
            return series;
        }

        /// <summary>Adds to a double without a lock (compare-and-swap until no other thread came between).</summary>
        private static void Add(ref double target, double value)
        {
            var current = Volatile.Read(ref target);
            while (true)
            {
                var seen = Interlocked.CompareExchange(ref target, current + value, current);
                if (BitConverter.DoubleToInt64Bits(seen) == BitConverter.DoubleToInt64Bits(current))
                {
                    return;
                }

                current = seen;
            }
        }

        public void Write(StringBuilder text)
        {
            foreach (var (key, series) in _series)
            {
                var labels = Labels(key);
                if (_histogram)
                {
                    long cumulative = 0;
                    for (var i = 0; i < _bounds.Length; i++)
                    {
                        cumulative += series.Slot(i);
                        Line(text, Name + "_bucket", Join(labels, "le=\"" + Format(_bounds[i]) + "\""), cumulative);
                    }

                    cumulative += series.Slot(_bounds.Length);
                    Line(text, Name + "_bucket", Join(labels, "le=\"+Inf\""), cumulative);
                    Line(text, Name + "_sum", labels, series.Sum());
                    Line(text, Name + "_count", labels, cumulative);
                }
                else
                {
                    Line(text, Name, labels, _whole ? series.Whole() : series.Sum());
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
