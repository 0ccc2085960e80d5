using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Abstractions.Shoppers;

namespace CartRecovery.Gateway.Cluster;

/// <summary>
/// How the gateway reaches grains. Co-hosted with a silo it calls them in process; on its own it
/// forwards to the silo that owns the key's partition.
/// </summary>
public interface IGrainClient
{
    Task<CartState?> GetCartAsync(string shopperId, string cartId, CancellationToken cancellationToken);

    Task<ShopperState?> GetShopperAsync(string shopperId, CancellationToken cancellationToken);

    Task<List<NudgeMessage>> ConnectAsync(string shopperId, CancellationToken cancellationToken);

    Task DisconnectAsync(string shopperId, CancellationToken cancellationToken);

    Task<CampaignPolicy> GetPolicyAsync(CancellationToken cancellationToken);

    Task<CampaignPolicy> UpdatePolicyAsync(CampaignPolicy policy, long expectedVersion, CancellationToken cancellationToken);
}
