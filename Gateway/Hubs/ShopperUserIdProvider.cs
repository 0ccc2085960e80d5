using CartRecovery.Gateway.Auth;
using Microsoft.AspNetCore.SignalR;

namespace CartRecovery.Gateway.Hubs;

/// <summary>A shopper connection's user is the shopper its token names (admin connections have none).</summary>
public sealed class ShopperUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) => connection.User?.FindFirst(TokenService.ShopperClaim)?.Value;
}

/// <summary>Whether SignalR messages cross gateways through Redis, which Redis, and under which channel prefix.</summary>
public sealed record SignalRBackplane(bool Enabled, string? RedisConnectionString = null, string ChannelPrefix = "cartrecovery");
