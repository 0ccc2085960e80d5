using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using CartRecovery.Persistence.Diagnostics;

namespace CartRecovery.Persistence.Tests.Support;

// Sums the storage instruments of one service container (its meter factory is the meter's scope),
// so tests running in parallel never see each other's measurements.
internal sealed class MeterCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new();
    private readonly ConcurrentDictionary<string, long> _max = new();

    public MeterCapture(IMeterFactory scope)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == StorageMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            _sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
            _max.AddOrUpdate(instrument.Name, value, (_, max) => Math.Max(max, value));
        });
        _listener.Start();
    }

    // The sum of a counter's (or a long histogram's) measurements so far.
    public long Sum(string instrument) => _sums.GetValueOrDefault(instrument);

    // The largest single measurement (e.g. the largest batch).
    public long Max(string instrument) => _max.GetValueOrDefault(instrument);

    public void Dispose() => _listener.Dispose();
}
