using System.Diagnostics.Metrics;
using CartRecovery.Grains.Diagnostics;

namespace CartRecovery.Gateway.Dashboard;

/// <summary>
/// Samples the storage providers' commit latencies (meter <c>CartRecovery.Storage</c>) for the
/// dashboard's live percentile, without a second copy of the measurement in the providers.
/// </summary>
public sealed class StorageCommitTap : IDisposable
{
    public const string MeterName = "CartRecovery.Storage";

    private readonly MeterListener _listener = new();

    public StorageCommitTap()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeterName && instrument.Name.Contains("commit", StringComparison.Ordinal) && instrument is Histogram<double>)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            if (Commits.ShouldSample())
            {
                Commits.Add(value);
            }
        });
        _listener.Start();
    }

    /// <summary>Recent commit latencies in seconds (one in two).</summary>
    public LatencySampler Commits { get; } = new(2048, 2);

    public void Dispose() => _listener.Dispose();
}
