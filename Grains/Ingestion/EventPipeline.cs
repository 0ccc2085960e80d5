using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Shoppers;
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
        var decision = await Call<IShopperGrain, ShopperDecision>(e.ShopperId, new(e, offset, null), static (g, a) => g.Apply(a.Event, a.Offset));
        if (decision.Duplicate)
        {
            return false;
        }

        await Call<ISessionGrain, bool>($"{e.ShopperId}/{e.SessionId}", new(e, offset, decision), static async (g, a) =>
        {
            await g.Apply(a.Event, a.Offset, a.Shopper!);
            return true;
        });
        if (EventTypes.TouchesCart(e.Type))
        {
            var cartId = EventTypes.IsNudgeResponse(e.Type) ? CartOfNudge(e.Nudge!.NudgeId, e.ShopperId) : decision.CartId;
            if (cartId is not null)
            {
                await Call<ICartGrain, bool>($"{e.ShopperId}/{cartId}", new(e, offset, null), static async (g, a) =>
                {
                    await g.Apply(a.Event, a.Offset);
                    return true;
                });
            }
        }

        return true;
    }

    private readonly record struct Args(StorefrontEvent Event, long Offset, ShopperDecision? Shopper);

    // Grains hosted in this process are called without a reference object or closure per call.
    private Task<TResult> Call<TGrain, TResult>(string key, Args args, Func<TGrain, Args, Task<TResult>> call) where TGrain : class =>
        grains is GrainRuntime runtime ? runtime.CallAsync(key, "Apply", args, call) : call(grains.GetGrain<TGrain>(key), args);

    /// <summary>
    /// Activates, in one storage round trip, the grains a batch of events is about to call that are
    /// not active yet: shoppers, sessions, and carts (the one an event names, else the cart a
    /// shopper opens for a session's first cart event). A guess that proves wrong costs one idle
    /// activation. Only where the grains are hosted in this process; elsewhere it does nothing.
    /// </summary>
    public Task PrefetchAsync(IReadOnlyList<StorefrontEvent> events, CancellationToken cancellationToken)
    {
        if (grains is not GrainRuntime runtime || events.Count == 0)
        {
            return Task.CompletedTask;
        }

        var (shopper, session, cart) = _types ??= (runtime.IdOf<IShopperGrain>("-").Type, runtime.IdOf<ISessionGrain>("-").Type, runtime.IdOf<ICartGrain>("-").Type);
        var ids = new HashSet<GrainId>();
        foreach (var e in events)
        {
            ids.Add(new GrainId(shopper, e.ShopperId));
            ids.Add(new GrainId(session, $"{e.ShopperId}/{e.SessionId}"));
            if (EventTypes.TouchesCart(e.Type))
            {
                var cartId = EventTypes.IsNudgeResponse(e.Type) ? CartOfNudge(e.Nudge!.NudgeId, e.ShopperId)
                    : e.CartId is { Length: > 0 } named ? named : Shoppers.ShopperGrain.SessionCartId(e.SessionId);
                if (cartId is not null)
                {
                    ids.Add(new GrainId(cart, $"{e.ShopperId}/{cartId}"));
                }
            }
        }

        return runtime.PrefetchAsync(ids, cancellationToken);
    }

    private (string Shopper, string Session, string Cart)? _types;

    /// <summary>Nudge ids are "shopper/cart:stage"; the cart is recovered from the id.</summary>
    private static string? CartOfNudge(string nudgeId, string shopperId)
    {
        var prefix = shopperId + "/";
        var colon = nudgeId.LastIndexOf(':');
        return nudgeId.StartsWith(prefix, StringComparison.Ordinal) && colon > prefix.Length ? nudgeId[prefix.Length..colon] : null;
    }
}
