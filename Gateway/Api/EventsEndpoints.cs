using System.Security.Cryptography;
using System.Text;
using CartRecovery.Gateway.Auth;
using CartRecovery.Gateway.Hosting;
using CartRecovery.Gateway.Hubs;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Ingestion;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace CartRecovery.Gateway.Api;

internal static class EventsEndpoints
{
    public static void MapEventsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/events", HandleAsync);
    }

    /// <summary>
    /// Storefront events, one or a batch. Callers are a store backend (X-Api-Key) or a browser with
    /// a shopper token, whose events must all be for its own shopper.
    /// </summary>
    private static async Task<IResult> HandleAsync(HttpContext http, EventIngestor ingestor, EventValidator validator, AuthOptions auth, ShopperRateLimiter limiter)
    {
        var shopper = http.User.FindFirst(TokenService.ShopperClaim)?.Value;
        if (shopper is null && !ValidKey(http, auth))
        {
            return Results.Json(new ApiError("authorization: send X-Api-Key or a shopper bearer token"), statusCode: StatusCodes.Status401Unauthorized);
        }

        if (http.Request.ContentLength > EventValidator.MaxBodyBytes)
        {
            return Results.Json(new ApiError($"body: larger than {EventValidator.MaxBodyBytes} bytes"), statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(http.Request, EventValidator.MaxBodyBytes, http.RequestAborted);
        }
        catch (InvalidDataException)
        {
            return Results.Json(new ApiError($"body: larger than {EventValidator.MaxBodyBytes} bytes"), statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        List<StorefrontEvent> valid;
        IngestResult result;
        try
        {
            (valid, result) = validator.ParseBatch(body, shopper);
        }
        catch (BadBatchException e)
        {
            return Results.BadRequest(new ApiError(e.Message));
        }

        foreach (var group in valid.GroupBy(e => e.ShopperId))
        {
            if (!limiter.TryAcquire(group.Key, group.Count()))
            {
                return Results.Json(new ApiError($"shopper_id: rate limit exceeded for shopper '{group.Key}'"), statusCode: StatusCodes.Status429TooManyRequests);
            }
        }

        await ingestor.PublishValidatedAsync(valid, result, "http", http.RequestAborted);
        return result.Accepted == 0 && result.Rejected.Count > 0 ? Results.BadRequest(result) : Results.Ok(result);
    }

    private static bool ValidKey(HttpContext http, AuthOptions auth)
    {
        if (string.IsNullOrEmpty(auth.IngestKey) || !http.Request.Headers.TryGetValue("X-Api-Key", out var key))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key.ToString()), Encoding.UTF8.GetBytes(auth.IngestKey));
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream(request.ContentLength is > 0 and var n && n <= limit ? (int)n : 16 * 1024);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new InvalidDataException("body too large");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
