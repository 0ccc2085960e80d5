using Orleans.Streams;
using Orleans.Streams.Core;

namespace CartRecovery.Streaming.Kafka.Tests.Support;

public interface IRecordingGrain : IGrainWithStringKey;

/// <summary>
/// A consumer shaped like the shopper grain: an implicit subscription, a batch observer, and a call that completes
/// only when its events are "durable" (recorded in the run's <see cref="Ledger"/>).
/// </summary>
[ImplicitStreamSubscription(TestEvents.Namespace)]
public sealed class RecordingGrain(ILocalSiloDetails silo) : Grain, IRecordingGrain, IStreamSubscriptionObserver, IAsyncBatchObserver<TestEvent>
{
    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<TestEvent>().ResumeAsync(this);

    public async Task OnNextAsync(IList<SequentialItem<TestEvent>> items)
    {
        foreach (var item in items)
        {
            var e = item.Item;
            var ledger = Ledger.Of(e.Run);
            if (!await ledger.BeforeApplyAsync(e))
            {
                throw new InvalidOperationException($"delivery of {e.Id} refused by the test");
            }

            ledger.Applied(e, silo.SiloAddress.ToString());
        }
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
