using System.Diagnostics.Metrics;
using CartRecovery.Grains.Diagnostics;
using CartRecovery.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace CartRecovery.Gateway.Metrics;

/// <summary>A component with its own meter that /metrics should expose (e.g. the Kafka consumer's lag).</summary>
public interface IMeterSource
{
    Meter Meter { get; }
}

/// <summary>
/// The meters of this app instance, found in its container: /metrics shows exactly these, never
/// the meters of another app in the same process.
/// </summary>
public static class MeterSources
{
    public static PrometheusMetrics CreateExporter(IServiceProvider services)
    {
        var meters = new List<Meter>();
        if (services.GetService<GatewayMetrics>() is { } gateway)
        {
            meters.Add(gateway.Meter);
        }

        if (services.GetService<DomainMetrics>() is { } domain)
        {
            meters.Add(domain.Meter);
        }

        if (services.GetService<GrainRuntime>() is { } runtime)
        {
            meters.Add(runtime.Metrics.Meter);
        }

        meters.AddRange(services.GetServices<IMeterSource>().Select(s => s.Meter));
        return new PrometheusMetrics(meters.ToArray());
    }
}
