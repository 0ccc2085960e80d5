using System.Diagnostics.Metrics;
using CartRecovery.Grains.Diagnostics;
using CartRecovery.Persistence.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace CartRecovery.Gateway.Metrics;

/// <summary>A component with its own meter that /metrics should expose (e.g. the Kafka consumer's lag).</summary>
public interface IMeterSource
{
    Meter Meter { get; }
}

/// <summary>
/// The meters of this app instance. /metrics selects meters by name, and another app in the same
/// process (tests, tools) has meters of the same names: of those, only the ones this app's
/// container made count, i.e. those of its meter factory (gateway, storage, Orleans) and the
/// instances it holds (the domain meter, <see cref="IMeterSource"/>s).
/// </summary>
internal sealed class MeterSources
{
    /// <summary>Orleans' own meter (activations, grain calls, messaging, directory, consistent ring).</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    private readonly IMeterFactory? _factory;
    private readonly HashSet<Meter> _instances;

    public MeterSources(IServiceProvider services)
    {
        _factory = services.GetService<IMeterFactory>();
        _instances = services.GetServices<IMeterSource>().Select(s => s.Meter).ToHashSet();
        if (services.GetService<DomainMetrics>() is { } domain)
        {
            _instances.Add(domain.Meter);
        }

        if (services.GetService<GatewayMetrics>() is { } gateway)
        {
            _instances.Add(gateway.Meter);
        }

        Names = [DomainMetrics.MeterName, GatewayMetrics.MeterName, StorageMetrics.MeterName, OrleansMeterName, OrleansDurations.MeterName,
            .. _instances.Select(m => m.Name)];
    }

    /// <summary>The names of the meters to listen to.</summary>
    public string[] Names { get; }

    /// <summary>Whether the meter is this app's (not one of the same name from another app in the process).</summary>
    public bool Owns(Meter meter) => (_factory is not null && ReferenceEquals(meter.Scope, _factory)) || _instances.Contains(meter);

    /// <summary>
    /// How an instrument of a listened meter is exported: not at all when it is another app's, or
    /// an Orleans one in a unit Prometheus has no base name for (milliseconds: <see cref="OrleansDurations"/>
    /// exports them in seconds; megabytes of host memory: process_resident_memory_bytes covers the
    /// process); Orleans' others with a help text, which Orleans does not give.
    /// </summary>
    public MetricStreamConfiguration? View(Instrument instrument)
    {
        if (!Owns(instrument.Meter))
        {
            return MetricStreamConfiguration.Drop;
        }

        if (instrument.Meter.Name != OrleansMeterName)
        {
            return null;
        }

        if (!IsBaseUnit(instrument.Unit))
        {
            return MetricStreamConfiguration.Drop;
        }

        return string.IsNullOrEmpty(instrument.Description) ? new MetricStreamConfiguration { Description = "Orleans " + instrument.Name } : null;
    }

    /// <summary>Units the exporter writes as a Prometheus base unit (seconds, bytes) or not at all (counts, annotations like {message}).</summary>
    private static bool IsBaseUnit(string? unit) =>
        string.IsNullOrEmpty(unit) || unit is "s" or "seconds" or "By" or "bytes" or "1" || unit.StartsWith('{');
}
