using CartRecovery.Gateway.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CartRecovery.Gateway.Api;

internal static class AuthEndpoints
{
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

        // Anonymous visitors get a token bound to a fresh (or their remembered) visitor id.
        app.MapPost("/v1/shopper-token", (ShopperTokenRequest? body, TokenService tokens) =>
        {
            var shopperId = body?.ShopperId;
            if (string.IsNullOrEmpty(shopperId))
            {
                shopperId = "v-" + Guid.NewGuid().ToString("N");
            }
            else if (shopperId.Length > 128 || shopperId.Any(c => c == '/' || char.IsControl(c)))
            {
                return Results.BadRequest(new ApiError("shopper_id: at most 128 characters, no '/' or control characters"));
            }

            var (token, expires) = tokens.IssueShopper(shopperId);
            return Results.Ok(new TokenResponse(token, null, shopperId, expires));
        });
    }
}
