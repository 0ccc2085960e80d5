using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using CartRecovery.Gateway.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CartRecovery.Gateway.Auth;

/// <summary>
/// Issues and checks the two kinds of signed tokens: admin/viewer tokens for the dashboard and
/// API, and shopper tokens that bind a browser to exactly one shopper id.
/// </summary>
public sealed class TokenService
{
    public const string AdminAudience = "cart-recovery-admin";
    public const string ShopperAudience = "cart-recovery-shopper";
    public const string Issuer = "cart-recovery";
    public const string ShopperClaim = "shopper_id";

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly SymmetricSecurityKey _key;
    private readonly SymmetricSecurityKey? _storeKey;
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;

    public TokenService(AuthOptions options, bool development, TimeProvider time)
    {
        _options = options;
        _time = time;
        if (string.IsNullOrEmpty(options.SigningKey))
        {
            if (!development)
            {
                throw new InvalidOperationException($"{AuthOptions.Section}:SigningKey is required outside Development (at least 32 bytes)");
            }

            // Development only: a per-process key; tokens do not survive a restart.
            _key = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32));
        }
        else
        {
            var bytes = Encoding.UTF8.GetBytes(options.SigningKey);
            if (bytes.Length < 32)
            {
                throw new InvalidOperationException($"{AuthOptions.Section}:SigningKey must be at least 32 bytes");
            }

            _key = new SymmetricSecurityKey(bytes);
        }

        if (!string.IsNullOrEmpty(options.ShopperTokenKey))
        {
            var bytes = Encoding.UTF8.GetBytes(options.ShopperTokenKey);
            _storeKey = bytes.Length >= 32 ? new SymmetricSecurityKey(bytes)
                : throw new InvalidOperationException($"{AuthOptions.Section}:ShopperTokenKey must be at least 32 bytes");
        }
    }

    public (string Token, DateTimeOffset Expires) IssueAdmin(string user, string role) =>
        Issue(AdminAudience, _options.AdminTokenLifetime, new Dictionary<string, object> { ["sub"] = user, ["role"] = role });

    /// <summary>
    /// A shopper token names the shopper once (<see cref="ShopperClaim"/>): a hub connection's request
    /// keeps its URL, and so the token, for as long as the connection lasts.
    /// </summary>
    public (string Token, DateTimeOffset Expires) IssueShopper(string shopperId) =>
        Issue(ShopperAudience, _options.ShopperTokenLifetime, new Dictionary<string, object> { [ShopperClaim] = shopperId });

    private (string, DateTimeOffset) Issue(string audience, TimeSpan lifetime, Dictionary<string, object> claims)
    {
        var now = _time.GetUtcNow();
        var expires = now + lifetime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
        });
        return (token, expires);
    }

    /// <summary>
    /// Validates a token; null when it is not ours or has expired. Tokens signed with the store
    /// key are accepted as shopper tokens only.
    /// </summary>
    public async Task<ClaimsPrincipal?> ValidateAsync(string token)
    {
        if (token.Length > 4096)
        {
            return null;
        }

        var principal = await ValidateAsync(token, _key, [AdminAudience, ShopperAudience]);
        if (principal is null && _storeKey is not null)
        {
            principal = await ValidateAsync(token, _storeKey, [ShopperAudience]);
        }

        return principal;
    }

    private async Task<ClaimsPrincipal?> ValidateAsync(string token, SecurityKey key, string[] audiences)
    {
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudiences = audiences,
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.FromSeconds(30),
            NameClaimType = "sub",
            RoleClaimType = "role",
            LifetimeValidator = (_, expires, _, _) => expires is { } e && e > _time.GetUtcNow().UtcDateTime,
        });
        if (!result.IsValid)
        {
            return null;
        }

        var identity = result.ClaimsIdentity;
        var isShopper = identity.FindFirst("aud")?.Value == ShopperAudience;
        if (isShopper && string.IsNullOrEmpty(identity.FindFirst(ShopperClaim)?.Value))
        {
            return null;
        }

        if (!isShopper && identity.FindFirst("role")?.Value is not ("admin" or "viewer"))
        {
            return null;
        }

        // A small identity of its own: the handler's one keeps the parsed token alive for as long
        // as a hub connection lasts. A shopper's is its audience and shopper id only.
        Claim[] claims = isShopper
            ? [new("aud", ShopperAudience), new(ShopperClaim, identity.FindFirst(ShopperClaim)!.Value)]
            : [new("sub", identity.FindFirst("sub")?.Value ?? ""), new("aud", AdminAudience), new("role", identity.FindFirst("role")!.Value)];
        return new ClaimsPrincipal(new ClaimsIdentity(claims, "token", "sub", "role"));
    }
}
