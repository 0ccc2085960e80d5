using System.Globalization;
using CartRecovery.Gateway.Auth;
using CartRecovery.Gateway.Cluster;
using CartRecovery.Gateway.Dashboard;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Reports;
using CartRecovery.Grains.Policy;
using CartRecovery.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace CartRecovery.Gateway.Api;

internal static class QueryEndpoints
{
    public static void MapQueryEndpoints(this IEndpointRouteBuilder app)
    {
        var viewer = app.MapGroup("/v1").RequireAuthorization(Policies.Viewer);
        viewer.MapGet("/carts/{cartId}", GetCartAsync);
        viewer.MapGet("/shoppers/{shopperId}", async (string shopperId, IGrainClient grains, CancellationToken ct) =>
            await grains.GetShopperAsync(shopperId, ct) is { } shopper ? Results.Ok(shopper) : Results.NotFound(new ApiError($"shopper '{shopperId}' not found")));
        viewer.MapGet("/reports/recovery", ReportAsync);
        viewer.MapGet("/nudges/recent", (NudgeFeed feed) => Results.Ok(feed.Recent()));
        viewer.MapGet("/policy", async (IGrainClient grains, CancellationToken ct) => Results.Ok(await grains.GetPolicyAsync(ct)));
        app.MapPut("/v1/policy", UpdatePolicyAsync).RequireAuthorization(Policies.Admin);
    }

    /// <summary>A cart by id; the shopper is found from storage when not given (cart ids are unique per shopper).</summary>
    private static async Task<IResult> GetCartAsync(string cartId, [FromQuery(Name = "shopper_id")] string? shopperId, IGrainClient grains, IGrainStateStore storage, CancellationToken ct)
    {
        if (cartId.Contains('/') || cartId.Length > 128)
        {
            return Results.BadRequest(new ApiError("cart_id: at most 128 characters, no '/'"));
        }

        if (string.IsNullOrEmpty(shopperId))
        {
            var keys = await storage.FindKeysAsync("cart", "/" + cartId, ct);
            if (keys.Count > 1)
            {
                return Results.Conflict(new ApiError($"cart_id: '{cartId}' exists for several shoppers; add ?shopper_id="));
            }

            if (keys.Count == 0)
            {
                return Results.NotFound(new ApiError($"cart '{cartId}' not found (without shopper_id only stored carts are found)"));
            }

            shopperId = keys[0][..keys[0].IndexOf('/')];
        }

        var cart = await grains.GetCartAsync(shopperId, cartId, ct);
        return cart is null ? Results.NotFound(new ApiError($"cart '{cartId}' of shopper '{shopperId}' not found")) : Results.Ok(cart);
    }

    private static async Task<IResult> ReportAsync(HttpRequest request, RecoveryReports reports, CancellationToken ct)
    {
        DateTimeOffset? from = null, to = null;
        foreach (var (name, assign) in new (string, Action<DateTimeOffset>)[] { ("from", v => from = v), ("to", v => to = v) })
        {
            if (request.Query.TryGetValue(name, out var raw) && raw.ToString() is { Length: > 0 } text)
            {
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
                {
                    return Results.BadRequest(new ApiError($"{name}: not an RFC 3339 timestamp"));
                }

                assign(value);
            }
        }

        if (from > to)
        {
            return Results.BadRequest(new ApiError("from: must not be after to"));
        }

        return Results.Ok(await reports.GetAsync(from, to, ct));
    }

    private static async Task<IResult> UpdatePolicyAsync(HttpRequest request, [FromQuery(Name = "expected_version")] long? expectedVersion, IGrainClient grains, CancellationToken ct)
    {
        CampaignPolicy? policy;
        try
        {
            policy = await System.Text.Json.JsonSerializer.DeserializeAsync(request.Body, CartRecovery.Grains.Json.GrainsJsonContext.Default.CampaignPolicy, ct);
        }
        catch (System.Text.Json.JsonException e)
        {
            var field = e.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
            return Results.BadRequest(new ApiError($"{field}: has a value of the wrong type or format"));
        }

        if (policy is null)
        {
            return Results.BadRequest(new ApiError("body: a policy object is required"));
        }

        var version = expectedVersion ?? policy.Version;
        try
        {
            return Results.Ok(await grains.UpdatePolicyAsync(policy, version, ct));
        }
        catch (ArgumentException e)
        {
            return Results.BadRequest(new ApiError(e.Message.Split(" (Parameter", 2)[0]));
        }
        catch (PolicyVersionConflictException e)
        {
            return Results.Conflict(new ApiError(e.Message));
        }
    }
}
