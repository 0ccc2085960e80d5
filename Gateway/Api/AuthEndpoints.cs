using System.Globalization;
using CartRecovery.Gateway.Auth;
using CartRecovery.Gateway.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CartRecovery.Gateway.Api;

internal static class AuthEndpoints
{
    public static void MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        // Throttled per client address and per user name before any password is hashed; a name
        // that does not exist costs the same hashing as a wrong password (UserDirectory).
        app.MapPost("/v1/auth/login", (LoginRequest? body, UserDirectory users, TokenService tokens, ClientLimits limits, HttpContext http) =>
        {
            if (body is null || string.IsNullOrEmpty(body.Username) || string.IsNullOrEmpty(body.Password) || body.Username.Length > 128 || body.Password.Length > 512)
            {
                return Results.BadRequest(new ApiError("username and password: both are required"));
            }

            if (!limits.TryLogin(ClientAddress.Key(http), body.Username, out var retryAfter))
            {
                return TooMany(http, retryAfter, "rate limit: too many login attempts for this user or from this address; try again later");
            }

            var role = users.Authenticate(body.Username, body.Password);
            if (role is null)
            {
                return Results.Json(new ApiError("invalid username or password"), statusCode: StatusCodes.Status401Unauthorized);
            }

            var (token, expires) = tokens.IssueAdmin(body.Username, role);
            if (role == Policies.Admin)
            {
                http.Response.Cookies.Append(TokenAuthenticationHandler.AdminCookie, token, new CookieOptions
                {
                    HttpOnly = true,
                    SameSite = SameSiteMode.Strict,
                    Secure = http.Request.IsHttps,
                    Path = TokenAuthenticationHandler.OrleansDashboardPath,
                    Expires = expires,
                });
            }

            return Results.Ok(new TokenResponse(token, role, null, expires));
        });

        app.MapPost("/v1/auth/logout", (HttpContext http) =>
        {
            http.Response.Cookies.Delete(TokenAuthenticationHandler.AdminCookie, new CookieOptions { Path = TokenAuthenticationHandler.OrleansDashboardPath });
            return Results.NoContent();
        });

        // Without a token: a new anonymous visitor, a fresh id (128 random bits), limited per client
        // address. With one (Authorization: Bearer), renewal: the current or a recently expired token
        // this endpoint issued proves the shopper, and the new token is for that shopper. Naming an id
        // proves nothing; tokens for a store's own customer ids are minted by the store backend with
        // Auth:ShopperTokenKey (and renewed there).
        app.MapPost("/v1/shopper-token", async (ShopperTokenRequest? body, TokenService tokens, ClientLimits limits, HttpContext http) =>
        {
            var header = http.Request.Headers.Authorization.ToString();
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                if (!string.IsNullOrEmpty(body?.ShopperId))
                {
                    return Results.Json(new ApiError("authorization: renewing a shopper id needs its current or recently expired token (Authorization: Bearer); a new visitor sends no shopper_id"), statusCode: StatusCodes.Status401Unauthorized);
                }

                if (!limits.TryVisitorToken(ClientAddress.Key(http), out var retryAfter))
                {
                    return TooMany(http, retryAfter, "rate limit: too many new visitors from this address; renew the token you have (Authorization: Bearer) or try again later");
                }

                var visitor = "v-" + Guid.NewGuid().ToString("N");
                var (fresh, freshExpires) = tokens.IssueShopper(visitor);
                return Results.Ok(new TokenResponse(fresh, null, visitor, freshExpires));
            }

            var shopperId = await tokens.RenewableShopperAsync(header["Bearer ".Length..].Trim());
            if (shopperId is null)
            {
                return Results.Json(new ApiError("authorization: not a shopper token issued here, or it expired too long ago to renew; ask for a new visitor token without one"), statusCode: StatusCodes.Status401Unauthorized);
            }

            if (!string.IsNullOrEmpty(body?.ShopperId) && body.ShopperId != shopperId)
            {
                return Results.Json(new ApiError("shopper_id: does not match the shopper of the token"), statusCode: StatusCodes.Status403Forbidden);
            }

            var (token, expires) = tokens.IssueShopper(shopperId);
            return Results.Ok(new TokenResponse(token, null, shopperId, expires));
        });
    }

    private static IResult TooMany(HttpContext http, TimeSpan retryAfter, string error)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Results.Json(new ApiError(error), statusCode: StatusCodes.Status429TooManyRequests);
    }
}
