using System.Diagnostics;
using CartRecovery.Gateway.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Gateway.Security;

/// <summary>
/// Per request: a correlation id (taken from X-Correlation-Id when sane, else new) in the log scope
/// and the response, security headers, and the HTTP metrics by route template.
/// </summary>
public sealed class GatewayMiddleware(RequestDelegate next, GatewayMetrics metrics, ILogger<GatewayMiddleware> log)
{
    public const string CorrelationHeader = "X-Correlation-Id";

    // Worth a retry: nothing was half applied (events are deduplicated by id), the cluster or storage was briefly away.
    private static bool Unavailable(Exception e) => e is Grains.Ingestion.IngestFailedException or SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or HttpRequestException;

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var incoming = context.Request.Headers[CorrelationHeader].ToString();
        var correlationId = incoming.Length is > 0 and <= 64 && incoming.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? incoming
            : Guid.NewGuid().ToString("N");
        context.TraceIdentifier = correlationId;
        var headers = context.Response.Headers;
        headers[CorrelationHeader] = correlationId;
        headers["X-Content-Type-Options"] = "nosniff";
        headers["X-Frame-Options"] = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Content-Security-Policy"] = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";
        // Hub connections live for hours: no per-request scope object kept alive with them.
        using (context.Request.Path.StartsWithSegments("/hubs") ? null : log.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = correlationId }))
        {
            try
            {
                await next(context);
            }
            catch (Exception e) when (Unavailable(e) && !context.Response.HasStarted)
            {
                // The key's silo is moving (failover, rebalance) or unreachable: say so, the caller retries.
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "1";
                await context.Response.WriteAsJsonAsync(new Api.ApiError("unavailable: a silo or the database is briefly away; nothing was half applied, send the request again shortly"), Api.GatewayJsonContext.Default.ApiError);
            }
            catch (TimeoutException e) when (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status504GatewayTimeout;
                await context.Response.WriteAsJsonAsync(new Api.ApiError(e.Message), Api.GatewayJsonContext.Default.ApiError);
            }
            finally
            {
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? (context.Response.StatusCode == 404 ? "unmatched" : "static");
                metrics.Request(context.Request.Method, route, context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        }
    }
}
