using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Replay;
using CartRecovery.Runtime;
using CartRecovery.TestSupport;

namespace CartRecovery.Cluster.Tests.Support;

/// <summary>
/// The events the cluster tests send: the REES46 log at scale 5 (about 58k events with session
/// starts and consents), shifted so the latest is a minute before the moment it was loaded. Loaded
/// once per test run; tests send the whole list or a prefix (keeping each shopper's order).
/// </summary>
internal static class Workload
{
    private static readonly Lazy<IReadOnlyList<StorefrontEvent>> Rees46 = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    public static IReadOnlyList<StorefrontEvent> Events => Rees46.Value;

    private static IReadOnlyList<StorefrontEvent> Load()
    {
        var events = StorefrontLog.Load(SharedData.Rees46, scale: 5);
        var shift = DateTimeOffset.UtcNow.AddMinutes(-1) - events.Max(e => e.OccurredAt);
        foreach (var e in events)
        {
            e.OccurredAt += shift;
        }

        return events;
    }

    /// <summary>
    /// Fresh add-to-cart events for new shoppers whose keys fall in <paramref name="partitions"/>,
    /// occurring <paramref name="ahead"/> from now, so their tick reminders are due only then.
    /// </summary>
    public static List<StorefrontEvent> Probes(string prefix, IReadOnlySet<int> partitions, int count, TimeSpan ahead)
    {
        var map = new PartitionMap(TestCluster.Partitions);
        var at = DateTimeOffset.UtcNow + ahead;
        var events = new List<StorefrontEvent>();
        for (var i = 0; events.Count < count; i++)
        {
            var shopper = $"{prefix}-{i}";
            if (!partitions.Contains(map.OfKey(shopper)))
            {
                continue;
            }

            events.Add(new StorefrontEvent
            {
                EventId = $"{shopper}-add",
                Type = EventTypes.AddToCart,
                ShopperId = shopper,
                SessionId = shopper + "-s",
                CartId = "probe-cart",
                OccurredAt = at,
                Item = new ItemInfo { Sku = "sku-" + i, Name = "probe item", Price = 19.5, Quantity = 2, Currency = "EUR" },
            });
        }

        return events;
    }

    public static int PartitionOf(string shopperId) => new PartitionMap(TestCluster.Partitions).OfKey(shopperId);
}
