using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace CartRecovery.Gateway.Auth;

/// <summary>
/// Bearer tokens from the Authorization header; for SignalR hubs (browsers cannot set headers on
/// WebSockets) also from the access_token query parameter; for the Orleans Dashboard (a page the
/// browser navigates to, whose scripts send no header) from the admin cookie set at login.
/// </summary>
public sealed class TokenAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "CartRecoveryToken";

    /// <summary>Where the Orleans Dashboard is served (admins only).</summary>
    public const string OrleansDashboardPath = "/dashboard";

    /// <summary>HttpOnly, SameSite=Strict, scoped to <see cref="OrleansDashboardPath"/>: sent nowhere else.</summary>
    public const string AdminCookie = "cr_admin";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? token = null;
        var header = Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = header["Bearer ".Length..].Trim();
        }
        else if (Request.Path.StartsWithSegments("/hubs") && Request.Query.TryGetValue("access_token", out var q))
        {
            token = q.ToString();
            WithoutAccessToken(Request);
        }
        else if (Request.Path.StartsWithSegments(OrleansDashboardPath) && Request.Cookies.TryGetValue(AdminCookie, out var cookie))
        {
            token = cookie;
        }

        if (string.IsNullOrEmpty(token))
        {
            return AuthenticateResult.NoResult();
        }

        // The expiry goes with the ticket: SignalR closes a hub connection when it passes
        // (CloseOnAuthenticationExpiration), so a connection does not outlive its token.
        var validated = await tokens.ValidateAsync(token);
        return validated is null
            ? AuthenticateResult.Fail("invalid or expired token")
            : AuthenticateResult.Success(new AuthenticationTicket(validated.Principal, new AuthenticationProperties { ExpiresUtc = validated.Expires }, SchemeName));
    }

    /// <summary>
    /// Drops the token from the request's query once read: a hub connection keeps its request for as
    /// long as it lasts, and nothing after authentication needs the token (nor should log it).
    /// </summary>
    private static void WithoutAccessToken(HttpRequest request)
    {
        var rest = new Dictionary<string, StringValues>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in request.Query)
        {
            if (!string.Equals(key, "access_token", StringComparison.OrdinalIgnoreCase))
            {
                rest[key] = value;
            }
        }

        request.Query = rest.Count == 0 ? QueryCollection.Empty : new QueryCollection(rest);
    }
}

/// <summary>Authorization policy names.</summary>
public static class Policies
{
    public const string Admin = "admin";
    public const string Viewer = "viewer";
    public const string Shopper = "shopper";
}
