using CartRecovery.Grains.Abstractions.Events;

namespace CartRecovery.Grains.Ingestion;

/// <summary>
/// Where accepted events go. Publishing completes when the events are durable: in the embedded
/// bus, applied and checkpointed; with Kafka, acknowledged by the brokers.
/// </summary>
public interface IEventBus
{
    Task PublishAsync(IReadOnlyList<StorefrontEvent> events, CancellationToken cancellationToken);
}
