using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Ingestion;

namespace CartRecovery.Gateway.Security;

/// <summary>
/// What events sent with a shopper token (a browser: HTTP or the shopper hub) may not do, beyond
/// being for the token's shopper (checked by <see cref="EventValidator"/>): claim revenue, or move
/// the clock. A browser can send anything, so a purchase must come from the store backend (ingest
/// key), and the gateway times browser events itself.
/// </summary>
internal static class BrowserEvents
{
    public const string PurchaseRefused = "purchases come from the store backend (X-Api-Key), not from a browser";

    /// <summary>
    /// Refuses purchases among <paramref name="valid"/> (by index, field <c>type</c>) and sets every
    /// other event's <c>occurred_at</c> to <paramref name="receivedAt"/>: the time the browser sent
    /// is ignored, so a backdated event cannot make a cart look abandoned.
    /// </summary>
    public static void Restrict(List<StorefrontEvent> valid, IngestResult result, DateTimeOffset receivedAt)
    {
        // The valid events are the batch's events the validator did not refuse, in order.
        HashSet<int>? refused = result.Rejected.Count == 0 ? null : [.. result.Rejected.Select(r => r.Index)];
        var index = 0;
        var kept = 0;
        var purchases = false;
        for (var i = 0; i < valid.Count; i++)
        {
            var e = valid[i];
            while (refused?.Contains(index) == true)
            {
                index++;
            }

            if (e.Type == EventTypes.Purchase)
            {
                result.Rejected.Add(new EventError(index, "type", PurchaseRefused));
                purchases = true;
            }
            else
            {
                e.OccurredAt = receivedAt;
                valid[kept++] = e;
            }

            index++;
        }

        valid.RemoveRange(kept, valid.Count - kept);
        result.Accepted = valid.Count;
        if (purchases)
        {
            result.Rejected.Sort((a, b) => a.Index.CompareTo(b.Index));
        }
    }
}
