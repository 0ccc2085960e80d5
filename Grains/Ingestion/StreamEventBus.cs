using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Diagnostics;
using CartRecovery.Grains.Shoppers;

namespace CartRecovery.Grains.Ingestion;

/// <summary>
/// Events published to the shoppers' streams (cluster mode): one <c>OnNextBatchAsync</c> per shopper per batch,
/// keeping each shopper's order. With Kafka each completes once the brokers acknowledged the records (idempotent
/// producer, acks=all); with Event Hubs once the hub accepted them. The shopper grains apply them from the stream.
/// </summary>
public sealed class StreamEventBus(IClusterClient client, DomainMetrics metrics) : IEventBus
{
    /// <summary>Name of the stream provider the shoppers' events travel on (Kafka or Event Hubs).</summary>
    public const string ProviderName = "events";

    public async Task PublishAsync(IReadOnlyList<StorefrontEvent> events, CancellationToken cancellationToken)
    {
        var provider = client.GetStreamProvider(ProviderName);
        var byShopper = new Dictionary<string, List<StorefrontEvent>>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (!byShopper.TryGetValue(e.ShopperId, out var list))
            {
                byShopper[e.ShopperId] = list = new List<StorefrontEvent>(4);
            }

            list.Add(e);
        }

        var sends = new List<Task>(byShopper.Count);
        foreach (var (shopper, list) in byShopper)
        {
            var stream = provider.GetStream<StorefrontEvent>(StreamId.Create(ShopperGrain.EventStreamNamespace, shopper));
            sends.Add(stream.OnNextBatchAsync(list));
        }

        try
        {
            await Task.WhenAll(sends).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            metrics.Failed();
            throw new IngestFailedException("events could not be published; sending the batch again is safe (repeated event ids are dropped)", e);
        }
    }
}
