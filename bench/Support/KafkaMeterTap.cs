using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace CartRecovery.Bench.Support;

/// <summary>
/// Counts measurements of a few named instruments (count of recordings and sum of values), e.g.
/// <c>checkpoint_states</c>: one recording per checkpoint, value = states written. Only the named
/// instruments are enabled, so the call-path histograms stay off as in a silo without a scraper.
/// </summary>
internal sealed class KafkaMeterTap : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, Totals> _totals = new();

    public sealed class Totals
    {
        public long Count;
        public double Sum;
    }

    public KafkaMeterTap(params string[] instruments)
    {
        foreach (var name in instruments)
        {
            _totals[name] = new Totals();
        }

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("CartRecovery", StringComparison.Ordinal) && _totals.ContainsKey(instrument.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, _, _) => Record(i.Name, v));
        _listener.SetMeasurementEventCallback<double>((i, v, _, _) => Record(i.Name, v));
        _listener.SetMeasurementEventCallback<int>((i, v, _, _) => Record(i.Name, v));
        _listener.Start();
    }

    private void Record(string name, double value)
    {
        if (_totals.TryGetValue(name, out var t))
        {
            lock (t)
            {
                t.Count++;
                t.Sum += value;
            }
        }
    }

    /// <summary>(count, sum) of an instrument since the last <see cref="Reset"/>.</summary>
    public (long Count, double Sum) Read(string name)
    {
        var t = _totals[name];
        lock (t)
        {
            return (t.Count, t.Sum);
        }
    }

    public void Reset()
    {
        foreach (var t in _totals.Values)
        {
            lock (t)
            {
                t.Count = 0;
                t.Sum = 0;
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
