using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace CartRecovery.Gateway.Metrics;

internal static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// The gateway's instruments and OpenTelemetry's Prometheus exporter over this app's meters
    /// (<see cref="MeterSources"/>); map the scrape endpoint with <c>MapPrometheusScrapingEndpoint</c>.
    /// </summary>
    public static IServiceCollection AddCartRecoveryMetrics(this IServiceCollection services)
    {
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton(sp => new MeterSources(sp));
        services.AddSingleton<OrleansDurations>();
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            // Which meters are this app's is known once its container exists. Resolving them here
            // creates the domain and gateway meters and the Orleans bridge before the provider
            // starts listening: every measurement from then on is counted.
            ((IDeferredMeterProviderBuilder)metrics).Configure((sp, builder) =>
            {
                var sources = sp.GetRequiredService<MeterSources>();
                sp.GetRequiredService<OrleansDurations>();
                builder.AddMeter(sources.Names);
                builder.AddView(sources.View);
            });
            metrics.AddPrometheusExporter(o =>
            {
                // A scrape shows the values of the moment: Prometheus scrapes every 15 s or so, and
                // a cached answer would only hide a request that just finished.
                o.ScrapeResponseCacheDurationMilliseconds = 0;

                // Meter names (otel_scope_*) and the SDK's resource (target_info) would be labels
                // and a family that no dashboard or alert reads; pod and job labels come from the scrape.
                o.ScopeInfoEnabled = false;
                o.TargetInfoEnabled = false;
            });
        });
        return services;
    }
}
