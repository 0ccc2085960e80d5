using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace CartRecovery.Streaming.Kafka.Providers;

/// <summary>
/// Logs a delivery the agent gave up on. The records themselves are not lost: the queue cache hands them back flagged
/// and the receiver dead-letters them before their offsets count as done. Subscriptions are never faulted.
/// </summary>
internal sealed partial class KafkaDeliveryFailureHandler(ILogger logger) : IStreamFailureHandler
{
    public bool ShouldFaultSubsriptionOnError => false;

    public Task OnDeliveryFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        DeliveryFailed(logger, streamProviderName, streamIdentity, sequenceToken);
        return Task.CompletedTask;
    }

    public Task OnSubscriptionFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        SubscriptionFailed(logger, streamProviderName, streamIdentity, sequenceToken);
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 1600, Level = LogLevel.Error, Message = "{Provider}: gave up delivering {Stream} from {Token}; the records go to the dead-letter topic")]
    private static partial void DeliveryFailed(ILogger logger, string provider, StreamId stream, StreamSequenceToken? token);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "{Provider}: subscribing the consumer of {Stream} failed at {Token}; delivery is attempted anyway")]
    private static partial void SubscriptionFailed(ILogger logger, string provider, StreamId stream, StreamSequenceToken? token);
}
