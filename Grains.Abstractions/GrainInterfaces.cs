using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Abstractions.Sessions;
using CartRecovery.Grains.Abstractions.Shoppers;

namespace CartRecovery.Grains.Abstractions;

/// <summary>
/// A shopper (key: shopper id). Entry point of every event of that shopper: deduplicates event
/// ids, keeps identity, consent, frequency cap, connection and pending on-site nudges. It never
/// calls other grains, so carts may call it without risk of a cycle.
/// </summary>
public interface IShopperGrain
{
    Task<ShopperDecision> Apply(StorefrontEvent e, long offset);

    Task<NudgePermit> RequestNudge(NudgeRequest request);

    /// <summary>A browser connected; returns on-site nudges still pending for it.</summary>
    Task<List<NudgeMessage>> Connect();

    Task Disconnect();

    Task<ShopperState> Get();
}

/// <summary>A browsing session (key: "shopperId/sessionId"): online features for scoring.</summary>
public interface ISessionGrain
{
    Task Apply(StorefrontEvent e, long offset, ShopperDecision shopper);

    Task<SessionState> Get();
}

/// <summary>A cart (key: "shopperId/cartId"): lines, value, stage machine, nudge ledger, attribution.</summary>
public interface ICartGrain
{
    Task Apply(StorefrontEvent e, long offset);

    /// <summary>Records the delivery result of an off-site nudge (webhook).</summary>
    Task RecordDelivery(string nudgeId, bool delivered, int attempts);

    Task<CartState> Get();
}

/// <summary>The campaign policy (key: "default").</summary>
public interface IPolicyGrain
{
    Task<CampaignPolicy> Get();

    Task<CampaignPolicy> Update(CampaignPolicy policy, long expectedVersion);
}
