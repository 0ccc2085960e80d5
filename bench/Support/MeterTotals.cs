using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace CartRecovery.Bench.Support;

/// <summary>
/// Count and sum of the measurements of a few named instruments (e.g. <c>storage_batch_size</c>:
/// one recording per transaction, value = writes in it). Only the named instruments are enabled.
/// </summary>
internal sealed class MeterTotals : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, double[]> _totals = new();

    public MeterTotals(params string[] instruments)
    {
        foreach (var name in instruments)
        {
            _totals[name] = new double[2];
        }

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (_totals.ContainsKey(instrument.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, _, _) => Add(i.Name, v));
        _listener.SetMeasurementEventCallback<double>((i, v, _, _) => Add(i.Name, v));
        _listener.Start();
    }

    private void Add(string name, double value)
    {
        var t = _totals[name];
        lock (t)
        {
            t[0]++;
            t[1] += value;
        }
    }

    public IEnumerable<string> Names => _totals.Keys;

    public (double Count, double Sum) this[string name]
    {
        get
        {
            var t = _totals[name];
            lock (t)
            {
                return (t[0], t[1]);
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
