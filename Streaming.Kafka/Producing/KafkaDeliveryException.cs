using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;

namespace CartRecovery.Streaming.Kafka.Producing;

/// <summary>
/// Some records of a batch were not acknowledged by the broker; the batch must be treated as not written (a retry
/// may duplicate the records that did get through). Error details are plain strings so callers need no
/// Confluent.Kafka reference.
/// </summary>
public sealed class KafkaDeliveryException : Exception
{
    internal KafkaDeliveryException(int failed, int total, Error firstError)
        : base($"{failed} of {total} Kafka records were not acknowledged: {firstError.Code} {firstError.Reason}")
    {
        Failed = failed;
        Total = total;
        ErrorCode = firstError.Code.ToString();
        Reason = firstError.Reason;
        IsFatal = firstError.IsFatal;
    }

    internal KafkaDeliveryException(string message, Exception inner)
        : base(message, inner)
    {
        Failed = -1;
        Total = -1;
        ErrorCode = inner is KafkaException k ? k.Error.Code.ToString() : inner.GetType().Name;
        Reason = inner.Message;
        IsFatal = inner is KafkaException { Error.IsFatal: true };
    }

    /// <summary>Records rejected, or -1 when the batch failed before reaching the client's queue.</summary>
    public int Failed { get; }

    public int Total { get; }

    /// <summary>librdkafka's error code name of the first failure, e.g. "Local_UnknownPartition".</summary>
    public string ErrorCode { get; }

    public string Reason { get; }

    /// <summary>The producer cannot continue (e.g. an idempotence sequence violation); it has to be recreated.</summary>
    public bool IsFatal { get; }
}
