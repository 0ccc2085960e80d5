using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CartRecovery.Gateway.Api;

/// <summary>A readiness condition (storage reachable, partitions owned, Kafka connected).</summary>
public interface IReadinessCheck
{
    string Name { get; }

    Task<(bool Ok, string Detail)> CheckAsync(CancellationToken cancellationToken);
}

internal static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => Results.Ok(new HealthReport("live", [])));
        app.MapGet("/health/ready", async (IEnumerable<IReadinessCheck> checks, CancellationToken ct) =>
        {
            var results = new List<HealthCheck>();
            foreach (var check in checks)
            {
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(TimeSpan.FromSeconds(3));
                    var (ok, detail) = await check.CheckAsync(timeout.Token);
                    results.Add(new HealthCheck(check.Name, ok, detail));
                }
                catch (Exception e)
                {
                    results.Add(new HealthCheck(check.Name, false, e.Message));
                }
            }

            var ready = results.All(r => r.Ok);
            return Results.Json(new HealthReport(ready ? "ready" : "not ready", results), statusCode: ready ? 200 : 503);
        });
        app.MapPrometheusScrapingEndpoint("/metrics");
    }
}
