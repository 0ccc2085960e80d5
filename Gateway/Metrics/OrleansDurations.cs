using System.Diagnostics.Metrics;

namespace CartRecovery.Gateway.Metrics;

/// <summary>
/// Orleans measures durations in milliseconds; Prometheus names them in seconds (promtool refuses
/// <c>_milliseconds</c>) and our dashboards read seconds everywhere. This re-records each of this
/// app's Orleans millisecond instruments, in seconds, on an instrument of the same name in the meter
/// <see cref="MeterName"/>: <c>orleans-app-requests-latency</c> is exported as
/// <c>orleans_app_requests_latency_seconds</c>. Instruments are taken as Orleans publishes them, so
/// the ones a later Orleans version adds come along.
/// </summary>
internal sealed class OrleansDurations : IDisposable
{
    public const string MeterName = "CartRecovery.Orleans";

    /// <summary>Grain calls time out after 30 s by default; activations and storage take milliseconds.</summary>
    private static readonly InstrumentAdvice<double> Buckets = new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    };

    private readonly MeterListener _listener = new();

    public OrleansDurations(MeterSources sources, IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (IsOrleansMilliseconds(instrument) && sources.Owns(instrument.Meter) && Seconds(meter, instrument) is { } target)
            {
                listener.EnableMeasurementEvents(instrument, target);
            }
        };
        _listener.SetMeasurementEventCallback<double>(static (_, ms, tags, target) => Record((Instrument)target!, ms / 1000, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, ms, tags, target) => Record((Instrument)target!, ms / 1000.0, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, ms, tags, target) => Record((Instrument)target!, ms / 1000.0, tags));
        _listener.Start();
    }

    /// <summary>A recorded (not observed) Orleans instrument in milliseconds.</summary>
    internal static bool IsOrleansMilliseconds(Instrument instrument) =>
        instrument.Meter.Name == MeterSources.OrleansMeterName && instrument.Unit == "ms" && !instrument.IsObservable;

    private static Instrument? Seconds(Meter meter, Instrument source)
    {
        var description = string.IsNullOrEmpty(source.Description) ? $"Orleans {source.Name}, in seconds" : source.Description;
        return source.GetType().GetGenericTypeDefinition() switch
        {
            var t when t == typeof(Histogram<>) => meter.CreateHistogram(source.Name, "s", description, advice: Buckets),
            var t when t == typeof(Counter<>) => meter.CreateCounter<double>(source.Name, "s", description),
            var t when t == typeof(UpDownCounter<>) => meter.CreateUpDownCounter<double>(source.Name, "s", description),
            _ => null,
        };
    }

    private static void Record(Instrument target, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        switch (target)
        {
            case Histogram<double> histogram:
                histogram.Record(seconds, tags);
                break;
            case Counter<double> counter:
                counter.Add(seconds, tags);
                break;
            case UpDownCounter<double> upDown:
                upDown.Add(seconds, tags);
                break;
        }
    }

    public void Dispose() => _listener.Dispose();
}
