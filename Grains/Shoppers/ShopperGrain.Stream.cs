using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Events;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace CartRecovery.Grains.Shoppers;

/// <summary>
/// The shopper's implicit subscription to its event stream (cluster mode: Kafka, or Event Hubs). A delivered batch
/// takes the same path as HTTP ingestion, <see cref="Apply"/>, and the delivery completes only when Apply does, that
/// is once the events' effects are durable: until then the provider commits no offset at or past them. A failed
/// Apply fails the delivery, which the provider retries against a fresh activation (Apply deactivates on failure), and
/// repeated event ids are dropped, so a redelivery or a replay after a crash changes nothing.
/// </summary>
[ImplicitStreamSubscription(EventStreamNamespace)]
public sealed partial class ShopperGrain : IStreamSubscriptionObserver, IAsyncBatchObserver<StorefrontEvent>
{
    /// <summary>Stream namespace of storefront events; a stream's key is the shopper id (the Kafka record key).</summary>
    public const string EventStreamNamespace = "cart-events";

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<StorefrontEvent>().ResumeAsync(this);

    /// <summary>Up to the provider's batch size of this shopper's events, in stream order: one Apply for all of them.</summary>
    public async Task OnNextAsync(IList<SequentialItem<StorefrontEvent>> items)
    {
        var events = new StorefrontEvent[items.Count];
        for (var i = 0; i < events.Length; i++)
        {
            events[i] = items[i].Item;
        }

        await Apply(new EventBatch(events));
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    // Delivery errors are retried, then dead-lettered, by the provider; nothing for the grain to do.
    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
