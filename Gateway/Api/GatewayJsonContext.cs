using System.Text.Json.Serialization;
using CartRecovery.Gateway.Dashboard;

namespace CartRecovery.Gateway.Api;

public sealed record LoginRequest(
    [property: JsonPropertyName("username")] string? Username,
    [property: JsonPropertyName("password")] string? Password);

public sealed record TokenResponse(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("shopper_id")] string? ShopperId,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt);

public sealed record ShopperTokenRequest([property: JsonPropertyName("shopper_id")] string? ShopperId);

public sealed record HealthCheck(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("detail")] string Detail);

public sealed record HealthReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("checks")] IReadOnlyList<HealthCheck> Checks);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(ShopperTokenRequest))]
[JsonSerializable(typeof(HealthReport))]
[JsonSerializable(typeof(DashboardSnapshot))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
public sealed partial class GatewayJsonContext : JsonSerializerContext;
