using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CartRecovery.Gateway.Metrics;

/// <summary>Gateway instruments (meter <c>CartRecovery.Gateway</c>) plus process figures.</summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "CartRecovery.Gateway";

    private readonly Meter _meter = new(MeterName);

    public Meter Meter => _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<long> _connections;
    private long _shopperConnections;
    private long _adminConnections;

    public GatewayMetrics()
    {
        _requests = _meter.CreateCounter<long>("http_requests_total", description: "HTTP requests by method, route and status");
        _duration = _meter.CreateHistogram<double>("http_request_duration_seconds", "s", "HTTP request latency",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
        _connections = _meter.CreateUpDownCounter<long>("signalr_connections", description: "Open SignalR connections by hub");
        var process = Process.GetCurrentProcess();
        _meter.CreateObservableCounter("process_cpu_seconds_total", () => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, description: "CPU time used by the process");
        _meter.CreateObservableGauge("process_resident_memory_bytes", () => { process.Refresh(); return process.WorkingSet64; }, description: "Resident memory of the process");
        _meter.CreateObservableGauge("dotnet_gc_heap_bytes", () => GC.GetTotalMemory(false), description: "Managed heap size");
    }

    public long ShopperConnections => Interlocked.Read(ref _shopperConnections);

    public long AdminConnections => Interlocked.Read(ref _adminConnections);

    public void Request(string method, string route, int status, double seconds)
    {
        _requests.Add(1, new("method", method), new("route", route), new("status", status));
        _duration.Record(seconds, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("route", route));
    }

    public void Connected(string hub)
    {
        Interlocked.Increment(ref hub == "admin" ? ref _adminConnections : ref _shopperConnections);
        _connections.Add(1, new KeyValuePair<string, object?>("hub", hub));
    }

    public void Disconnected(string hub)
    {
        Interlocked.Decrement(ref hub == "admin" ? ref _adminConnections : ref _shopperConnections);
        _connections.Add(-1, new KeyValuePair<string, object?>("hub", hub));
    }

    public void Dispose() => _meter.Dispose();
}
