using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Kafka.Consuming;

public sealed partial class PartitionedConsumer
{
    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "{Topic} group {Group}: assigned {Count} partitions [{Partitions}]")]
    private static partial void PartitionsAssigned(ILogger logger, string topic, string group, int count, string partitions);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "{Topic} group {Group}: releasing {Count} partitions [{Partitions}] (lost: {Lost})")]
    private static partial void PartitionsRevoking(ILogger logger, string topic, string group, int count, string partitions, bool lost);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Debug, Message = "{Topic}[{Partition}] paused with {InFlight} records in flight")]
    private static partial void PartitionPaused(ILogger logger, string topic, int partition, int inFlight);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Debug, Message = "{Topic}[{Partition}] resumed with {InFlight} records in flight")]
    private static partial void PartitionResumed(ILogger logger, string topic, int partition, int inFlight);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "{Topic}[{Partition}] offset {Offset} not stored: {Reason}")]
    private static partial void OffsetNotStored(ILogger logger, string topic, int partition, long offset, string reason);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Warning, Message = "{Topic}: consume failed with {Code}: {Reason}")]
    private static partial void ConsumeFailed(ILogger logger, string topic, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Error, Message = "{Topic}: commit of stored offsets failed with {Code}: {Reason}")]
    private static partial void CommitFailed(ILogger logger, string topic, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Error, Message = "{Topic}: partition owner failed to release partitions")]
    private static partial void RevokeCallbackFailed(ILogger logger, string topic, Exception error);

    [LoggerMessage(EventId = 1208, Level = LogLevel.Error, Message = "{Topic}: consumer stopping after a failure")]
    private static partial void ConsumerFailed(ILogger logger, string topic, Exception error);

    [LoggerMessage(EventId = 1209, Level = LogLevel.Warning, Message = "{Topic}: leaving the group failed")]
    private static partial void CloseFailed(ILogger logger, string topic, Exception error);
}
