using Microsoft.Extensions.Logging;

namespace CartRecovery.Persistence.Internal.Writes;

internal sealed partial class GroupCommitWriter
{
    private static partial class Log
    {
        [LoggerMessage(1101, LogLevel.Error, "A {Provider} write transaction of {Count} writes failed; every write in it failed")]
        public static partial void TransactionFailed(ILogger logger, Exception exception, string provider, int count);

        [LoggerMessage(1102, LogLevel.Debug, "The {Provider} storage writer stopped after flushing its queue")]
        public static partial void WriterStopped(ILogger logger, string provider);
    }
}
