using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using CartRecovery.Gateway.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CartRecovery.Gateway.Auth;

/// <summary>A token that passed: who it names, and until when.</summary>
public sealed record ValidatedToken(ClaimsPrincipal Principal, DateTimeOffset Expires);

/// <summary>
/// Issues and checks the two kinds of signed tokens: admin/viewer tokens for the dashboard and
/// API, and shopper tokens that bind a browser to exactly one shopper id.
/// </summary>
/// <remarks>
/// Which key signed a token decides what it can be, never its claims: <c>Auth:SigningKey</c>
/// signs what this gateway issues (admin and shopper tokens), <c>Auth:ShopperTokenKey</c> is held
/// by store backends and signs shopper tokens only. Every token is HS256 with one audience, our
/// issuer, an <c>exp</c> and (when present) an <c>nbf</c> that has passed.
/// </remarks>
public sealed class TokenService
{
    public const string AdminAudience = "cart-recovery-admin";
    public const string ShopperAudience = "cart-recovery-shopper";
    public const string Issuer = "cart-recovery";
    public const string ShopperClaim = "shopper_id";

    /// <summary>How far a store backend's clock may run ahead of ours (checked against <c>nbf</c>).</summary>
    private static readonly TimeSpan NotBeforeSkew = TimeSpan.FromSeconds(30);

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly SymmetricSecurityKey _key;
    private readonly SymmetricSecurityKey? _storeKey;
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Keys as checked at start by <see cref="AuthOptionsValidator"/>.</summary>
    public TokenService(AuthOptions options, bool development, TimeProvider time)
    {
        _options = options;
        _time = time;
        if (!string.IsNullOrEmpty(options.SigningKey))
        {
            _key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(options.SigningKey));
        }
        else if (development)
        {
            // Development only: a per-process key; tokens do not survive a restart.
            _key = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32));
        }
        else
        {
            throw new InvalidOperationException($"{AuthOptions.Section}:SigningKey is required outside Development (at least 32 bytes)");
        }

        if (!string.IsNullOrEmpty(options.ShopperTokenKey))
        {
            _storeKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(options.ShopperTokenKey));
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

    /// <summary>Validates a token; null when it is not ours, is out of profile or has expired.</summary>
    public async Task<ValidatedToken?> ValidateAsync(string token)
    {
        if (token.Length > 4096)
        {
            return null;
        }

        if (await ReadAsync(token, _key, expiredFor: TimeSpan.Zero) is { } ours)
        {
            return ours.Audiences.Single() == AdminAudience ? Admin(ours) : Shopper(ours);
        }

        // The store's key makes shopper tokens only, whatever else the token says.
        return _storeKey is not null && await ReadAsync(token, _storeKey, expiredFor: TimeSpan.Zero) is { } store && store.Audiences.Single() == ShopperAudience
            ? Shopper(store)
            : null;
    }

    /// <summary>
    /// The shopper a token proves for renewal: a shopper token this gateway issued, valid but for
    /// having expired up to <see cref="AuthOptions.ShopperTokenRenewalWindow"/> ago. Store-minted
    /// tokens are renewed by their store.
    /// </summary>
    public async Task<string?> RenewableShopperAsync(string token)
    {
        if (token.Length > 4096 || await ReadAsync(token, _key, _options.ShopperTokenRenewalWindow) is not { } ours || ours.Audiences.Single() != ShopperAudience)
        {
            return null;
        }

        return Shopper(ours)?.Principal.FindFirst(ShopperClaim)!.Value;
    }

    /// <summary>The token when signed with <paramref name="key"/> and in profile; null otherwise.</summary>
    private async Task<JsonWebToken?> ReadAsync(string token, SecurityKey key, TimeSpan expiredFor)
    {
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudiences = [AdminAudience, ShopperAudience],
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = _time.GetUtcNow().UtcDateTime;
                return expires is { } e && e > now - expiredFor && (notBefore is not { } nbf || nbf <= now + NotBeforeSkew);
            },
        });

        // One audience only: a list that names both is how a token would pass for either.
        return result.IsValid && result.SecurityToken is JsonWebToken jwt && jwt.Alg == SecurityAlgorithms.HmacSha256 && jwt.Audiences.Count() == 1 ? jwt : null;
    }

    /// <summary>
    /// A small identity of its own: the handler's one keeps the parsed token alive for as long as a
    /// hub connection lasts. A shopper's is its audience and shopper id only.
    /// </summary>
    private static ValidatedToken? Shopper(JsonWebToken jwt) =>
        jwt.TryGetPayloadValue<string>(ShopperClaim, out var shopperId) && IsShopperId(shopperId)
            ? new ValidatedToken(Principal([new("aud", ShopperAudience), new(ShopperClaim, shopperId)]), jwt.ValidTo)
            : null;

    private static ValidatedToken? Admin(JsonWebToken jwt) =>
        jwt.TryGetPayloadValue<string>("role", out var role) && role is "admin" or "viewer" && jwt.TryGetPayloadValue<string>("sub", out var sub) && !string.IsNullOrEmpty(sub)
            ? new ValidatedToken(Principal([new("sub", sub), new("aud", AdminAudience), new("role", role)]), jwt.ValidTo)
            : null;

    private static ClaimsPrincipal Principal(Claim[] claims) => new(new ClaimsIdentity(claims, "token", "sub", "role"));

    /// <summary>What a shopper id may be (the event contract's id rules): it becomes a grain key.</summary>
    private static bool IsShopperId(string? id) =>
        id is { Length: > 0 and <= 128 } && !id.Any(c => char.IsControl(c) || c == '/');
}
