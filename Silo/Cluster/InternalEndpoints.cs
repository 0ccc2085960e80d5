using CartRecovery.Gateway.Api;
using CartRecovery.Gateway.Cluster;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Runtime;

namespace CartRecovery.Silo.Cluster;

/// <summary>
/// The silo's internal API, reached by gateways that forward a request to the owner of the key's
/// partition. Served only on the internal port. 421 means "not the owner": refresh and retry.
/// </summary>
internal static class InternalEndpoints
{
    public const string Prefix = "/internal";

    public static void MapInternalEndpoints(this WebApplication app, Func<int> internalPort)
    {
        var group = app.MapGroup(Prefix).AddEndpointFilter(async (ctx, next) =>
        {
            if (ctx.HttpContext.Connection.LocalPort != internalPort())
            {
                return Results.NotFound();
            }

            try
            {
                return await next(ctx);
            }
            catch (PartitionNotOwnedException e)
            {
                return Results.Json(new ApiError(e.Message), statusCode: StatusCodes.Status421MisdirectedRequest);
            }
            catch (ArgumentException e)
            {
                return Results.BadRequest(new ApiError(e.Message.Split(" (Parameter", 2)[0]));
            }
            catch (InconsistentStateException e)
            {
                return Results.Conflict(new ApiError(e.Message));
            }
        });

        group.MapGet("/carts/{shopperId}/{cartId}", async (string shopperId, string cartId, LocalGrainClient grains, CancellationToken ct) =>
            await grains.GetCartAsync(shopperId, cartId, ct) is { } cart ? Results.Ok(cart) : Results.NotFound());
        group.MapGet("/shoppers/{shopperId}", async (string shopperId, LocalGrainClient grains, CancellationToken ct) =>
            await grains.GetShopperAsync(shopperId, ct) is { } shopper ? Results.Ok(shopper) : Results.NotFound());
        group.MapPost("/shoppers/{shopperId}/connect", async (string shopperId, LocalGrainClient grains, CancellationToken ct) =>
            Results.Ok(await grains.ConnectAsync(shopperId, ct)));
        group.MapPost("/shoppers/{shopperId}/disconnect", async (string shopperId, LocalGrainClient grains, CancellationToken ct) =>
        {
            await grains.DisconnectAsync(shopperId, ct);
            return Results.NoContent();
        });
        group.MapGet("/policy", async (LocalGrainClient grains, CancellationToken ct) => Results.Ok(await grains.GetPolicyAsync(ct)));
        group.MapPut("/policy", async (CampaignPolicy policy, long expectedVersion, LocalGrainClient grains, CancellationToken ct) =>
            Results.Ok(await grains.UpdatePolicyAsync(policy, expectedVersion, ct)));
    }
}
