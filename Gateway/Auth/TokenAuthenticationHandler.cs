using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace CartRecovery.Gateway.Auth;

/// <summary>
/// Bearer tokens from the Authorization header; for SignalR hubs (browsers cannot set headers on
/// WebSockets) also from the access_token query parameter.
/// </summary>
public sealed class TokenAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "CartRecoveryToken";

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

        if (string.IsNullOrEmpty(token))
        {
            return AuthenticateResult.NoResult();
        }

        var principal = await tokens.ValidateAsync(token);
        return principal is null
            ? AuthenticateResult.Fail("invalid or expired token")
            : AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
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
