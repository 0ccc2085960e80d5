using System.Diagnostics.Metrics;

namespace CartRecovery.Grains.Diagnostics;

/// <summary>Product instruments (meter <c>CartRecovery</c>) and in-process totals for the admin view.</summary>
public sealed class DomainMetrics : IDisposable
{
    public const string MeterName = "CartRecovery";

    private readonly Meter _meter = new(MeterName);

    public Meter Meter => _meter;
    private readonly Counter<long> _ingested;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _nudges;
    private readonly Counter<long> _stages;
    private readonly Counter<long> _callErrors;
    private readonly Histogram<double> _batchDuration;
    private long _ingestedTotal;
    private long _rejectedTotal;
    private long _failedTotal;
    private long _nudgesCreated;
    private long _nudgesShown;
    private long _nudgesClicked;

    public DomainMetrics()
    {
        _ingested = _meter.CreateCounter<long>("events_ingested_total", description: "Events accepted and applied");
        _rejected = _meter.CreateCounter<long>("events_rejected_total", description: "Events refused by validation");
        _failed = _meter.CreateCounter<long>("events_failed_total", description: "Accepted events whose application failed");
        _nudges = _meter.CreateCounter<long>("nudges_total", description: "Nudges by channel and outcome");
        _stages = _meter.CreateCounter<long>("cart_transitions_total", description: "Cart stage transitions");
        _callErrors = _meter.CreateCounter<long>("grain_call_errors_total", description: "Shopper grain calls of the event path that failed");
        _batchDuration = _meter.CreateHistogram<double>("shopper_batch_duration_seconds", "s", "A shopper's batch from call to durable effects",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
    }

    public long IngestedTotal => Interlocked.Read(ref _ingestedTotal);

    public long RejectedTotal => Interlocked.Read(ref _rejectedTotal);

    public long FailedTotal => Interlocked.Read(ref _failedTotal);

    public long NudgesCreated => Interlocked.Read(ref _nudgesCreated);

    public long NudgesShown => Interlocked.Read(ref _nudgesShown);

    public long NudgesClicked => Interlocked.Read(ref _nudgesClicked);

    public void Ingested(int count, string source)
    {
        Interlocked.Add(ref _ingestedTotal, count);
        _ingested.Add(count, new KeyValuePair<string, object?>("source", source));
    }

    public void Rejected(int count, string source)
    {
        Interlocked.Add(ref _rejectedTotal, count);
        _rejected.Add(count, new KeyValuePair<string, object?>("source", source));
    }

    /// <summary>Recent shopper batch latencies (one in four), for the dashboard's live percentiles.</summary>
    public LatencySampler BatchLatency { get; } = new(4096, 4);

    public void Failed()
    {
        Interlocked.Increment(ref _failedTotal);
        _failed.Add(1);
        _callErrors.Add(1);
    }

    public void ShopperBatch(double seconds)
    {
        _batchDuration.Record(seconds);
        if (BatchLatency.ShouldSample())
        {
            BatchLatency.Add(seconds);
        }
    }

    public void Nudge(string channel, string outcome)
    {
        switch (outcome)
        {
            case "created":
                Interlocked.Increment(ref _nudgesCreated);
                break;
            case "shown":
                Interlocked.Increment(ref _nudgesShown);
                break;
            case "clicked":
                Interlocked.Increment(ref _nudgesClicked);
                break;
        }

        _nudges.Add(1, new KeyValuePair<string, object?>("channel", channel), new KeyValuePair<string, object?>("outcome", outcome));
    }

    public void Transition(string stage) => _stages.Add(1, new KeyValuePair<string, object?>("stage", stage));

    public void Dispose() => _meter.Dispose();
}
