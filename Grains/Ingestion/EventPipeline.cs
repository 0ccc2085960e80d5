using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Runtime;

namespace CartRecovery.Grains.Ingestion;

/// <summary>
/// Applies one event to its grains: shopper first (deduplication and the cart the event belongs
/// to), then session, then cart. Every event source (HTTP, SignalR, Kafka, replay) ends here, and
/// each grain skips offsets it already holds, so replays after a crash change nothing twice.
/// </summary>
public sealed class EventPipeline(IGrainFactory grains)
{
    public async Task<bool> ApplyAsync(StorefrontEvent e, long offset)
    {
        var decision = await grains.GetGrain<IShopperGrain>(e.ShopperId).Apply(e, offset);
        if (decision.Duplicate)
        {
            return false;
        }

        await grains.GetGrain<ISessionGrain>($"{e.ShopperId}/{e.SessionId}").Apply(e, offset, decision);
        if (EventTypes.TouchesCart(e.Type))
        {
            var cartId = EventTypes.IsNudgeResponse(e.Type) ? CartOfNudge(e.Nudge!.NudgeId, e.ShopperId) : decision.CartId;
            if (cartId is not null)
            {
                await grains.GetGrain<ICartGrain>($"{e.ShopperId}/{cartId}").Apply(e, offset);
            }
        }

        return true;
    }

    /// <summary>Nudge ids are "shopper/cart:stage"; the cart is recovered from the id.</summary>
    private static string? CartOfNudge(string nudgeId, string shopperId)
    {
        var prefix = shopperId + "/";
        var colon = nudgeId.LastIndexOf(':');
        return nudgeId.StartsWith(prefix, StringComparison.Ordinal) && colon > prefix.Length ? nudgeId[prefix.Length..colon] : null;
    }
}
