using Microsoft.Extensions.Logging;

namespace CartRecovery.Runtime.Diagnostics;

/// <summary>Runtime log messages with stable event ids (1000-1099).</summary>
public static partial class RuntimeLog
{
    [LoggerMessage(1000, LogLevel.Warning, "OnDeactivateAsync of {Grain} failed")]
    public static partial void DeactivationFailed(this ILogger logger, Exception error, string grain);

    [LoggerMessage(1001, LogLevel.Warning, "timer of {Grain} failed")]
    public static partial void TimerFailed(this ILogger logger, Exception error, string grain);

    [LoggerMessage(1002, LogLevel.Warning, "reminder {Reminder} of {Grain} failed; retrying")]
    public static partial void ReminderFailed(this ILogger logger, Exception error, string reminder, string grain);

    [LoggerMessage(1003, LogLevel.Warning, "checkpoint conflict: {Detail}; the grain will re-read its state")]
    public static partial void CheckpointConflict(this ILogger logger, string detail);

    [LoggerMessage(1004, LogLevel.Error, "checkpoint of partition {Partition} failed; its changes stay pending")]
    public static partial void CheckpointFailed(this ILogger logger, Exception error, int partition);

    [LoggerMessage(1005, LogLevel.Warning, "partition {Partition} was taken by another silo; its activations were dropped without writing")]
    public static partial void PartitionLost(this ILogger logger, int partition);

    [LoggerMessage(1006, LogLevel.Information, "acquired partition {Partition} at epoch {Epoch} ({Reminders} reminders)")]
    public static partial void PartitionAcquired(this ILogger logger, int partition, long epoch, int reminders);

    [LoggerMessage(1007, LogLevel.Information, "released partition {Partition}")]
    public static partial void PartitionReleased(this ILogger logger, int partition);

    [LoggerMessage(1008, LogLevel.Error, "background loop {Loop} failed")]
    public static partial void LoopFailed(this ILogger logger, Exception error, string loop);

    [LoggerMessage(1009, LogLevel.Information, "runtime started: silo {Silo}, {Partitions} partitions, storage {Storage}")]
    public static partial void Started(this ILogger logger, string silo, int partitions, string storage);
}
