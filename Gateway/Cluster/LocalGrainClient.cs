using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Abstractions.Shoppers;
using CartRecovery.Grains.Policy;

namespace CartRecovery.Gateway.Cluster;

/// <summary>In-process grain access for a gateway co-hosted with its silo.</summary>
public sealed class LocalGrainClient(IGrainFactory grains) : IGrainClient
{
    public async Task<CartState?> GetCartAsync(string shopperId, string cartId, CancellationToken cancellationToken)
    {
        var cart = await grains.GetGrain<ICartGrain>($"{shopperId}/{cartId}").Get();
        return cart.CreatedAt == default ? null : cart;
    }

    public async Task<ShopperState?> GetShopperAsync(string shopperId, CancellationToken cancellationToken)
    {
        var shopper = await grains.GetGrain<IShopperGrain>(shopperId).Get();
        return shopper.FirstSeenAt is null ? null : shopper;
    }

    public Task<List<NudgeMessage>> ConnectAsync(string shopperId, CancellationToken cancellationToken) =>
        grains.GetGrain<IShopperGrain>(shopperId).Connect();

    public Task DisconnectAsync(string shopperId, CancellationToken cancellationToken) =>
        grains.GetGrain<IShopperGrain>(shopperId).Disconnect();

    public Task<CampaignPolicy> GetPolicyAsync(CancellationToken cancellationToken) =>
        grains.GetGrain<IPolicyGrain>(PolicyCache.GrainKey).Get();

    public Task<CampaignPolicy> UpdatePolicyAsync(CampaignPolicy policy, long expectedVersion, CancellationToken cancellationToken) =>
        grains.GetGrain<IPolicyGrain>(PolicyCache.GrainKey).Update(policy, expectedVersion);
}
