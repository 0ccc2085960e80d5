using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Streaming.Kafka.Configuration;

/// <summary>Routes librdkafka's own log lines and client errors into our logging pipeline.</summary>
internal static partial class LibrdkafkaLog
{
    public static void Forward(ILogger logger, LogMessage message) =>
        Native(logger, ToLevel(message.Level), message.Name, message.Facility, message.Message);

    public static void Forward(ILogger logger, Error error)
    {
        // Transient broker/transport errors are retried by librdkafka itself; only fatal ones need attention.
        ClientError(logger, error.IsFatal ? LogLevel.Error : LogLevel.Warning, error.Code, error.Reason);
    }

    [LoggerMessage(EventId = 1000, Message = "librdkafka {Client} [{Facility}] {Text}")]
    private static partial void Native(ILogger logger, LogLevel level, string client, string facility, string text);

    [LoggerMessage(EventId = 1001, Message = "Kafka client error {Code}: {Reason}")]
    private static partial void ClientError(ILogger logger, LogLevel level, ErrorCode code, string reason);

    private static LogLevel ToLevel(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };
}
