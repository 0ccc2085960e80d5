using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using CartRecovery.Gateway.Auth;
using CartRecovery.Gateway.Hosting;
using CartRecovery.Gateway.Security;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Ingestion;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace CartRecovery.Gateway.Api;

internal static class EventsEndpoints
{
    public static void MapEventsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/events", HandleAsync);
    }

    /// <summary>
    /// Storefront events, one or a batch. Callers are a store backend (X-Api-Key), whose events
    /// keep their times and may report purchases, or a browser with a shopper token: its events must
    /// all be for its own shopper, are timed on receipt, may not be purchases (<see cref="BrowserEvents"/>), and each
    /// costs one of the shopper's event budget.
    /// </summary>
    private static async Task<IResult> HandleAsync(HttpContext http, EventIngestor ingestor, EventValidator validator, IOptions<AuthOptions> auth, ClientLimits limits, TimeProvider time)
    {
        var receivedAt = time.GetUtcNow();
        var shopper = http.User.FindFirst(TokenService.ShopperClaim)?.Value;
        if (shopper is null && !ValidKey(http, auth.Value))
        {
            return Results.Json(new ApiError("authorization: send X-Api-Key or a shopper bearer token"), statusCode: StatusCodes.Status401Unauthorized);
        }

        if (http.Request.ContentLength > EventValidator.MaxBodyBytes)
        {
            return Results.Json(new ApiError($"body: larger than {EventValidator.MaxBodyBytes} bytes"), statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        byte[] body;
        int length;
        try
        {
            (body, length) = await ReadBodyAsync(http.Request, EventValidator.MaxBodyBytes, http.RequestAborted);
        }
        catch (InvalidDataException)
        {
            return Results.Json(new ApiError($"body: larger than {EventValidator.MaxBodyBytes} bytes"), statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        // A batch waits for its place with its bytes only, read in full first so that a slow sender
        // holds no place; it is parsed once it may go on.
        RateLimitLease place;
        try
        {
            place = await limits.EnterIngestAsync(http.RequestAborted);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(body);
            throw;
        }

        using var admitted = place;
        if (!place.IsAcquired)
        {
            ArrayPool<byte>.Shared.Return(body);
            http.Response.Headers.RetryAfter = "1";
            return Results.Json(new ApiError("server busy: too many event batches waiting; send again shortly"), statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        List<StorefrontEvent> valid;
        IngestResult result;
        try
        {
            (valid, result) = validator.ParseBatch(body.AsSpan(0, length), shopper);
        }
        catch (BadBatchException e)
        {
            return Results.BadRequest(new ApiError(e.Message));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }

        if (shopper is not null)
        {
            // A browser pays for every event it sent, valid or not.
            if (!limits.TryEvents(shopper, result.Received))
            {
                return RateLimited(shopper, result.Received, limits);
            }

            BrowserEvents.Restrict(valid, result, receivedAt);
        }

        // A batch sent with the ingest key comes from the store's backend, which relays every shopper's events: it
        // is bounded by the batch size and the ingest admission, not by a shopper's budget (one busy shopper would
        // otherwise have every other shopper's events in the batch refused with it).
        await ingestor.PublishValidatedAsync(valid, result, "http", http.RequestAborted);
        return result.Accepted == 0 && result.Rejected.Count > 0 ? Results.BadRequest(result) : Results.Ok(result);
    }

    private static IResult RateLimited(string shopperId, int events, ClientLimits limits) => Results.Json(
        new ApiError(events > limits.EventBurst
            ? $"shopper_id: {events} events for shopper '{shopperId}' in one request; at most {limits.EventBurst} fit the rate limit"
            : $"shopper_id: rate limit exceeded for shopper '{shopperId}'"),
        statusCode: StatusCodes.Status429TooManyRequests);

    private static bool ValidKey(HttpContext http, AuthOptions auth)
    {
        if (string.IsNullOrEmpty(auth.IngestKey) || !http.Request.Headers.TryGetValue("X-Api-Key", out var key))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key.ToString()), Encoding.UTF8.GetBytes(auth.IngestKey));
    }

    /// <summary>
    /// Reads the body into a pooled buffer (the caller returns it). A batch is parsed as soon as it
    /// is read and the buffer goes back before the events are applied, so the bytes of hundreds of
    /// requests waiting for their checkpoint are not kept alive.
    /// </summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        // One byte more than announced, so the end of the body is seen without growing the buffer.
        var buffer = ArrayPool<byte>.Shared.Rent(request.ContentLength is > 0 and var n && n <= limit ? (int)n + 1 : 16 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(limit + 1, buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    return (buffer, length);
                }

                length += read;
                if (length > limit)
                {
                    throw new InvalidDataException("body too large");
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}
