using CartRecovery.Grains.Abstractions.Events;

namespace CartRecovery.Grains.Common;

/// <summary>Events grouped by a key (a shopper, a cart), each group in the events' order.</summary>
internal static class EventGroups
{
    public static void Add(Dictionary<string, List<StorefrontEvent>> groups, string key, StorefrontEvent e)
    {
        if (!groups.TryGetValue(key, out var list))
        {
            groups[key] = list = new List<StorefrontEvent>(4);
        }

        list.Add(e);
    }

    public static Dictionary<string, List<StorefrontEvent>> ByShopper(IEnumerable<StorefrontEvent> events)
    {
        var byShopper = new Dictionary<string, List<StorefrontEvent>>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            Add(byShopper, e.ShopperId, e);
        }

        return byShopper;
    }
}
