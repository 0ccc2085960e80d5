using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CartRecovery.Runtime.Diagnostics;

/// <summary>Runtime instruments (meter <c>CartRecovery.Runtime</c>); names follow Prometheus conventions.</summary>
public sealed class RuntimeMetrics : IDisposable
{
    public const string MeterName = "CartRecovery.Runtime";

    private readonly Meter _meter = new(MeterName);

    public Meter Meter => _meter;
    private readonly UpDownCounter<long> _activations;
    private readonly Counter<long> _calls;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _callDuration;
    private readonly Histogram<double> _checkpointDuration;
    private readonly Histogram<long> _checkpointSize;
    private readonly Counter<long> _checkpointFailures;
    private readonly Counter<long> _reminders;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _liveByType = new();
    private long _callCount;
    private long _errorCount;

    /// <summary>Every 16th call's latency, for percentiles on the admin view without reading histograms.</summary>
    public LatencySampler CallLatency { get; } = new(4096, 16);

    /// <summary>Every checkpoint's latency.</summary>
    public LatencySampler CheckpointLatency { get; } = new(1024, 1);

    public RuntimeMetrics()
    {
        _activations = _meter.CreateUpDownCounter<long>("grain_activations", description: "Live grain activations by type");
        _calls = _meter.CreateCounter<long>("grain_calls_total", description: "Grain calls");
        _errors = _meter.CreateCounter<long>("grain_call_errors_total", description: "Grain calls that failed");
        _callDuration = _meter.CreateHistogram<double>("grain_call_duration_seconds", "s", "Grain call latency",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5] });
        _checkpointDuration = _meter.CreateHistogram<double>("checkpoint_duration_seconds", "s", "Checkpoint transaction latency",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
        _checkpointSize = _meter.CreateHistogram<long>("checkpoint_states", description: "Grain states written per checkpoint",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 10, 100, 1000, 10000] });
        _checkpointFailures = _meter.CreateCounter<long>("checkpoint_failures_total", description: "Checkpoints that failed and were retried");
        _reminders = _meter.CreateCounter<long>("reminders_fired_total", description: "Reminder ticks delivered");
    }

    public long Calls => Interlocked.Read(ref _callCount);

    public long Errors => Interlocked.Read(ref _errorCount);

    /// <summary>Live activations per grain type (for the admin view).</summary>
    public IReadOnlyDictionary<string, long> ActivationsByType => _liveByType;

    public long Start() => Stopwatch.GetTimestamp();

    public void CallCompleted(long started, string grainType, bool failed)
    {
        Interlocked.Increment(ref _callCount);
        var tag = new KeyValuePair<string, object?>("type", grainType);
        _calls.Add(1, tag);
        var sampled = CallLatency.ShouldSample();
        if (_callDuration.Enabled || sampled)
        {
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            _callDuration.Record(seconds, tag);
            if (sampled)
            {
                CallLatency.Add(seconds);
            }
        }

        if (failed)
        {
            Interlocked.Increment(ref _errorCount);
            _errors.Add(1, tag);
        }
    }

    public void ActivationCreated(string type)
    {
        _liveByType.AddOrUpdate(type, 1, (_, v) => v + 1);
        _activations.Add(1, new KeyValuePair<string, object?>("type", type));
    }

    public void ActivationRemoved(string type)
    {
        _liveByType.AddOrUpdate(type, 0, (_, v) => v - 1);
        _activations.Add(-1, new KeyValuePair<string, object?>("type", type));
    }

    public void CheckpointWritten(long started, int states)
    {
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        _checkpointDuration.Record(seconds);
        CheckpointLatency.Add(seconds);
        _checkpointSize.Record(states);
    }

    public void CheckpointFailed() => _checkpointFailures.Add(1);

    public void ReminderFired() => _reminders.Add(1);

    public void ObserveOwnedPartitions(Func<int> owned) =>
        _meter.CreateObservableGauge("silo_owned_partitions", owned, description: "Partitions this silo owns");

    public void Dispose() => _meter.Dispose();
}
