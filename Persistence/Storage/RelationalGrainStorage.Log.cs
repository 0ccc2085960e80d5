using CartRecovery.Persistence.Internal;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Persistence.Storage;

internal sealed partial class RelationalGrainStorage
{
    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Error, "Grain storage '{Storage}' failed to read {Key}")]
        public static partial void ReadFailed(ILogger logger, Exception exception, string storage, StateKey key);

        [LoggerMessage(1002, LogLevel.Error, "Grain storage '{Storage}' failed to write {Key}")]
        public static partial void WriteFailed(ILogger logger, Exception exception, string storage, StateKey key);

        [LoggerMessage(1003, LogLevel.Warning, "Grain storage '{Storage}' refused a stale write of {Key}: held ETag {HeldEtag}, stored {StoredEtag}")]
        public static partial void WriteConflict(ILogger logger, string storage, StateKey key, string? heldEtag, string? storedEtag);
    }
}
