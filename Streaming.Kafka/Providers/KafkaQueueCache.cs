using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace CartRecovery.Streaming.Kafka.Providers;

/// <summary>
/// Orleans' bounded <see cref="SimpleQueueCache"/> (it pins a batch until its delivery completes, and reports
/// pressure when full, which stops the agent reading: the backpressure), plus one thing: records whose delivery the
/// agent gave up on are handed back too, flagged, instead of silently dropped, so the receiver can dead-letter them
/// before their offsets count as done.
/// </summary>
internal sealed class KafkaQueueCache(int cacheSize, ILogger logger) : SimpleQueueCache(cacheSize, logger)
{
    // Every container in the order it was added; the base class removes from the oldest end.
    private readonly Queue<IBatchContainer> _added = new();

    public override void AddToCache(IList<IBatchContainer> msgs)
    {
        var before = Size;
        try
        {
            base.AddToCache(msgs);
        }
        finally
        {
            for (var i = 0; i < Size - before; i++)
            {
                _added.Enqueue(msgs[i]);
            }
        }
    }

    public override bool TryPurgeFromCache([MaybeNullWhen(false)] out IList<IBatchContainer> purgedItems)
    {
        var before = Size;
        if (!base.TryPurgeFromCache(out var delivered))
        {
            purgedItems = null!;
            return false;
        }

        var removed = before - Size;
        var ok = new HashSet<IBatchContainer>(delivered, ReferenceEqualityComparer.Instance);
        var all = new List<IBatchContainer>(removed);
        for (var i = 0; i < removed; i++)
        {
            var container = _added.Dequeue();
            if (!ok.Contains(container) && container is KafkaBatchContainer kafka)
            {
                kafka.DeliveryFailed = true;
            }

            all.Add(container);
        }

        purgedItems = all;
        return all.Count > 0;
    }
}

internal sealed class KafkaQueueAdapterCache(int cacheSize, string providerName, ILoggerFactory loggers) : IQueueAdapterCache
{
    public IQueueCache CreateQueueCache(QueueId queueId) =>
        new KafkaQueueCache(cacheSize, loggers.CreateLogger($"{typeof(KafkaQueueCache).FullName}.{providerName}.{queueId}"));
}
