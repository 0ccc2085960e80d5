using System.Text.Json;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Json;
using CartRecovery.Kafka.Producing;

namespace CartRecovery.Silo.Cluster;

/// <summary>
/// Publishes accepted events to <c>cart-events</c>, keyed and partitioned by shopper with the
/// runtime's stable hash, and completes only after the brokers acknowledged every one.
/// </summary>
internal sealed class KafkaEventBus(KafkaEventProducer producer) : IEventBus
{
    public Task PublishAsync(IReadOnlyList<StorefrontEvent> events, CancellationToken cancellationToken)
    {
        var messages = new (string Key, byte[] Value)[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            messages[i] = (events[i].ShopperId, JsonSerializer.SerializeToUtf8Bytes(events[i], GrainsJsonContext.Default.StorefrontEvent));
        }

        return producer.ProduceBatchAsync(messages, cancellationToken);
    }
}
