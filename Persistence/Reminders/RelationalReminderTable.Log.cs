using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace CartRecovery.Persistence.Reminders;

internal sealed partial class RelationalReminderTable
{
    private static partial class Log
    {
        [LoggerMessage(1301, LogLevel.Error, "Reminder table failed to read the rows of {Rows}")]
        public static partial void ReadFailed(ILogger logger, Exception exception, string rows);

        [LoggerMessage(1302, LogLevel.Error, "Reminder table failed to write reminder '{Name}' of {GrainId}")]
        public static partial void WriteFailed(ILogger logger, Exception exception, GrainId grainId, string name);
    }
}
