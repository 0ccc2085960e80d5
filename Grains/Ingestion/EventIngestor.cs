using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Diagnostics;

namespace CartRecovery.Grains.Ingestion;

/// <summary>Validation, then the bus: the one path events take from HTTP and SignalR alike.</summary>
public sealed class EventIngestor(EventValidator validator, IEventBus bus, DomainMetrics metrics)
{
    public async Task<IngestResult> IngestAsync(ReadOnlyMemory<byte> body, string source, CancellationToken cancellationToken)
    {
        var (valid, result) = validator.ParseBatch(body.Span);
        await PublishAsync(valid, result, source, cancellationToken);
        return result;
    }

    public async Task<IngestResult> IngestAsync(IReadOnlyList<StorefrontEvent> events, string source, CancellationToken cancellationToken)
    {
        var result = new IngestResult { Received = events.Count };
        var valid = new List<StorefrontEvent>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            if (validator.Validate(events[i]) is { } error)
            {
                result.Rejected.Add(new EventError(i, error.Field, error.Reason));
            }
            else
            {
                valid.Add(events[i]);
            }
        }

        result.Accepted = valid.Count;
        await PublishAsync(valid, result, source, cancellationToken);
        return result;
    }

    /// <summary>Publishes events already validated by <see cref="EventValidator.ParseBatch"/>.</summary>
    public Task PublishValidatedAsync(List<StorefrontEvent> valid, IngestResult result, string source, CancellationToken cancellationToken) =>
        PublishAsync(valid, result, source, cancellationToken);

    private async Task PublishAsync(List<StorefrontEvent> valid, IngestResult result, string source, CancellationToken cancellationToken)
    {
        if (result.Rejected.Count > 0)
        {
            metrics.Rejected(result.Rejected.Count, source);
        }

        if (valid.Count > 0)
        {
            await bus.PublishAsync(valid, cancellationToken);
        }
    }
}
