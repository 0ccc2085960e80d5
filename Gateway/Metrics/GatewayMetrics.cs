using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;

namespace CartRecovery.Gateway.Metrics;

/// <summary>Gateway instruments (meter <c>CartRecovery.Gateway</c>) plus process figures.</summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "CartRecovery.Gateway";

    /// <summary>The <c>method</c> label of a request whose method is not one of HTTP's own.</summary>
    public const string OtherMethod = "other";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<long> _connections;
    private long _shopperConnections;
    private long _adminConnections;

    /// <param name="meterFactory">The app's meter factory: its meters are the ones /metrics of this app exports.</param>
    public GatewayMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _requests = _meter.CreateCounter<long>("http_requests_total", description: "HTTP requests by method, route and status");
        _duration = _meter.CreateHistogram<double>("http_request_duration_seconds", "s", "HTTP request latency",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
        _connections = _meter.CreateUpDownCounter<long>("signalr_connections", description: "Open SignalR connections by hub");
        var process = Process.GetCurrentProcess();
        _meter.CreateObservableCounter("process_cpu_seconds_total", () => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, description: "CPU time used by the process");
        _meter.CreateObservableGauge("process_resident_memory_bytes", () => { process.Refresh(); return process.WorkingSet64; }, description: "Resident memory of the process");
        _meter.CreateObservableGauge("dotnet_gc_heap_bytes", () => GC.GetTotalMemory(false), description: "Managed heap size");
    }

    public Meter Meter => _meter;

    public long ShopperConnections => Interlocked.Read(ref _shopperConnections);

    public long AdminConnections => Interlocked.Read(ref _adminConnections);

    /// <summary>
    /// One answered request. <paramref name="route"/> is a route template or another fixed word
    /// (never the path); the method is one of HTTP's own or <see cref="OtherMethod"/>, so that a
    /// client inventing methods cannot add series.
    /// </summary>
    public void Request(string method, string route, int status, double seconds)
    {
        var bounded = KnownMethod(method);
        _requests.Add(1, new("method", bounded), new("route", route), new("status", status));
        _duration.Record(seconds, new KeyValuePair<string, object?>("method", bounded), new KeyValuePair<string, object?>("route", route));
    }

    /// <summary>The upper-case name of a standard method, else <see cref="OtherMethod"/>.</summary>
    internal static string KnownMethod(string method) => method switch
    {
        _ when HttpMethods.IsGet(method) => HttpMethods.Get,
        _ when HttpMethods.IsPost(method) => HttpMethods.Post,
        _ when HttpMethods.IsPut(method) => HttpMethods.Put,
        _ when HttpMethods.IsDelete(method) => HttpMethods.Delete,
        _ when HttpMethods.IsPatch(method) => HttpMethods.Patch,
        _ when HttpMethods.IsHead(method) => HttpMethods.Head,
        _ when HttpMethods.IsOptions(method) => HttpMethods.Options,
        _ when HttpMethods.IsConnect(method) => HttpMethods.Connect,
        _ when HttpMethods.IsTrace(method) => HttpMethods.Trace,
        _ => OtherMethod,
    };

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
