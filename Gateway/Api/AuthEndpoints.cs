using CartRecovery.Gateway.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CartRecovery.Gateway.Api;

internal static class AuthEndpoints
{
    private static bool IsVisitorId(string id) =>
        id.Length == 34 && id.StartsWith("v-", StringComparison.Ordinal) && id[2..].All(char.IsAsciiHexDigitLower);

    public static void MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/auth/login", (LoginRequest? body, UserDirectory users, TokenService tokens) =>
        {
            if (body is null || string.IsNullOrEmpty(body.Username) || string.IsNullOrEmpty(body.Password) || body.Username.Length > 128 || body.Password.Length > 512)
            {
                return Results.BadRequest(new ApiError("username and password: both are required"));
            }

            var role = users.Authenticate(body.Username, body.Password);
            if (role is null)
            {
                return Results.Json(new ApiError("invalid username or password"), statusCode: StatusCodes.Status401Unauthorized);
            }

            var (token, expires) = tokens.IssueAdmin(body.Username, role);
            return Results.Ok(new TokenResponse(token, role, null, expires));
        });

        // Anonymous visitors get a token bound to a fresh visitor id, or renew one for an id this
        // endpoint issued (128 random bits, so it cannot be guessed). Tokens for any other shopper id
        // (a store's customer ids) are minted by the store backend with Auth:ShopperTokenKey.
        app.MapPost("/v1/shopper-token", (ShopperTokenRequest? body, TokenService tokens) =>
        {
            var shopperId = body?.ShopperId;
            if (string.IsNullOrEmpty(shopperId))
            {
                shopperId = "v-" + Guid.NewGuid().ToString("N");
            }
            else if (!IsVisitorId(shopperId))
            {
                return Results.BadRequest(new ApiError("shopper_id: only anonymous visitor ids issued here (v- and 32 hex digits) can be renewed; tokens for other shopper ids are minted by the store backend"));
            }

            var (token, expires) = tokens.IssueShopper(shopperId);
            return Results.Ok(new TokenResponse(token, null, shopperId, expires));
        });
    }
}
