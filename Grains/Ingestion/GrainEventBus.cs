using CartRecovery.Grains.Common;
using System.Diagnostics;
using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Diagnostics;

namespace CartRecovery.Grains.Ingestion;

/// <summary>
/// Events applied in this process: a batch is grouped by shopper (keeping each shopper's order)
/// and each shopper grain gets one call with its events. The publish completes when every
/// shopper answered, which each does only once its events' effects are durable.
/// </summary>
public sealed class GrainEventBus(GrainReferences grains, DomainMetrics metrics, EventJournal? journal = null) : IEventBus
{
    public async Task PublishAsync(IReadOnlyList<StorefrontEvent> events, CancellationToken cancellationToken)
    {
        var byShopper = EventGroups.ByShopper(events);
        long? entry = null;
        var durable = Task.CompletedTask;
        if (journal is { Enabled: true })
        {
            // Entries left by a crash are applied again first, so a shopper sees its events in order.
            await journal.Ready.WaitAsync(cancellationToken);
            (var appended, durable) = journal.Append(events, byShopper.Keys);
            entry = appended;
        }

        var calls = new Task<BatchOutcome>[byShopper.Count];
        var i = 0;
        foreach (var (shopper, list) in byShopper)
        {
            calls[i++] = ApplyAsync(shopper, list, entry);
        }

        try
        {
            await Task.WhenAll(Task.WhenAll(calls), durable).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            metrics.Failed();
            throw new IngestFailedException("events could not be applied; nothing that was applied counts twice if the batch is sent again", e);
        }

        var applied = 0;
        foreach (var call in calls)
        {
            applied += call.Result.Applied;
        }

        metrics.Ingested(applied, "http");
    }

    // One shopper's call: Apply, or ApplyJournaled when the batch is the journal's entry.
    private async Task<BatchOutcome> ApplyAsync(string shopper, List<StorefrontEvent> events, long? entry)
    {
        var started = Stopwatch.GetTimestamp();
        var grain = grains.Get<IShopperGrain>(shopper);
        try
        {
            var outcome = entry is { } journaled ? await grain.ApplyJournaled(new EventBatch(events), journaled) : await grain.Apply(new EventBatch(events));
            metrics.ShopperBatch(Stopwatch.GetElapsedTime(started).TotalSeconds);
            return outcome;
        }
        catch when (entry is not null)
        {
            // The entry may be durable while this shopper's activation dropped what it applied:
            // it is applied again, and the store's retry of the batch then finds its ids.
            journal!.ReplayLater(shopper, [entry.Value]);
            throw;
        }
    }
}

/// <summary>Some events of a batch may not have been applied; sending the batch again is safe.</summary>
public sealed class IngestFailedException(string message, Exception inner) : Exception(message, inner);
