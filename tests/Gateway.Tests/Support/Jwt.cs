using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace CartRecovery.Gateway.Tests.Support;

/// <summary>
/// Hand-made JWTs, for tokens the gateway's own issuer would never produce: several audiences,
/// another algorithm, a future nbf, no exp, a store backend's key.
/// </summary>
public static class Jwt
{
    public static long Now(int offsetSeconds = 0) => DateTimeOffset.UtcNow.AddSeconds(offsetSeconds).ToUnixTimeSeconds();

    /// <summary>The claims of an ordinary shopper token (issuer, audience, iat/nbf/exp around now).</summary>
    public static JsonObject ShopperClaims(string shopperId) => new()
    {
        ["iss"] = "cart-recovery",
        ["aud"] = "cart-recovery-shopper",
        ["shopper_id"] = shopperId,
        ["iat"] = Now(),
        ["nbf"] = Now(),
        ["exp"] = Now(3600),
    };

    /// <summary>Signs the claims with an HMAC key; <paramref name="alg"/> is HS256, HS384 or HS512.</summary>
    public static string Sign(JsonObject claims, string key, string alg = "HS256")
    {
        var header = B64(Encoding.UTF8.GetBytes(new JsonObject { ["alg"] = alg, ["typ"] = "JWT" }.ToJsonString()));
        var payload = B64(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var input = Encoding.ASCII.GetBytes(header + "." + payload);
        var keyBytes = Encoding.UTF8.GetBytes(key);
        var signature = alg switch
        {
            "HS256" => HMACSHA256.HashData(keyBytes, input),
            "HS384" => HMACSHA384.HashData(keyBytes, input),
            "HS512" => HMACSHA512.HashData(keyBytes, input),
            _ => throw new ArgumentOutOfRangeException(nameof(alg)),
        };
        return $"{header}.{payload}.{B64(signature)}";
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
