using CartRecovery.Gateway.Api;
using CartRecovery.Gateway.Auth;
using CartRecovery.Gateway.Hubs;
using Microsoft.AspNetCore.Http;

namespace CartRecovery.Gateway.Security;

/// <summary>
/// Caps open shopper hub connections per shopper and per client address
/// (<c>Limits:HubConnectionsPerShopper</c>, <c>Limits:HubConnectionsPerIp</c>). The request that
/// carries a connection (a WebSocket or server-sent events stream; a long poll while it waits)
/// lasts as long as the connection, so a place is held for exactly that long. Over the cap the
/// request is answered 429 before any connection exists. Runs after authorization: the shopper is
/// the token's.
/// </summary>
internal sealed class HubConnectionLimits(RequestDelegate next, ClientLimits limits)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // Negotiation (/hubs/shopper/negotiate) opens nothing: only the connection's own path counts.
        if (!context.Request.Path.Equals(ShopperHub.Path, StringComparison.OrdinalIgnoreCase)
            || context.User.FindFirst(TokenService.ShopperClaim)?.Value is not { } shopperId)
        {
            await next(context);
            return;
        }

        using var place = limits.TryOpenHubConnection(shopperId, ClientAddress.Key(context));
        if (place is null)
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = "10";
            await context.Response.WriteAsJsonAsync(new ApiError("connections: too many open connections for this shopper or client address; close a tab or try again later"), GatewayJsonContext.Default.ApiError);
            return;
        }

        await next(context);
    }
}
