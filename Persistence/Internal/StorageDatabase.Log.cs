using Microsoft.Extensions.Logging;

namespace CartRecovery.Persistence.Internal;

internal abstract partial class StorageDatabase
{
    private static partial class Log
    {
        [LoggerMessage(1201, LogLevel.Information, "{Provider} schema migrated from version {From} to {To}")]
        public static partial void SchemaMigrated(ILogger logger, string provider, int from, int to);

        [LoggerMessage(1202, LogLevel.Debug, "{Provider} database opened by {User} ({Users} users)")]
        public static partial void Opened(ILogger logger, string provider, string user, int users);

        [LoggerMessage(1203, LogLevel.Debug, "{Provider} database closed by {User} ({Users} users left)")]
        public static partial void Closed(ILogger logger, string provider, string user, int users);

        [LoggerMessage(1204, LogLevel.Information, "{Provider} database has a sole writer: {Keys} stored keys loaded in {Seconds:0.00} s; grains never stored activate without a read")]
        public static partial void KeysLoaded(ILogger logger, string provider, long keys, double seconds);
    }
}
