using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Native;
using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Streaming.Kafka.Producing;

/// <summary>
/// Idempotent, acks=all producer whose sends complete on broker acknowledgement. Shared by the event producer, the
/// stream adapter and the dead-letter publisher so each gets the same durability.
/// </summary>
internal sealed partial class AckingProducer : IDisposable
{
    private static readonly TimeSpan QueueFullBackoff = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan DisposeFlushTimeout = TimeSpan.FromSeconds(10);

    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly ILogger _logger;

    public AckingProducer(KafkaStreamOptions options, string role, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        KafkaStreamOptionsValidator.EnsureValid(options);
        KafkaNative.EnsureLoaded();
        _logger = logger;
        _producer = new ProducerBuilder<byte[]?, byte[]>(ClientConfigs.Producer(options, role))
            .SetLogHandler((_, m) => LibrdkafkaLog.Forward(_logger, m))
            .SetErrorHandler((_, e) => LibrdkafkaLog.Forward(_logger, e))
            .Build();
    }

    /// <summary>
    /// Enqueues every record (keyed records go where the configured partitioner puts them) and completes when all are
    /// acknowledged. Cancellation stops enqueueing and abandons the wait; records already handed over may still be written.
    /// </summary>
    public async Task SendAsync(string topic, IReadOnlyList<Message<byte[]?, byte[]>> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return;
        }

        var batch = new DeliveryBatch();
        try
        {
            for (var i = 0; i < records.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                batch.Adding();
                try
                {
                    while (!TryProduce(topic, records[i], batch))
                    {
                        // The client's buffer drains as acknowledgements arrive; waiting is the backpressure.
                        QueueFull(_logger, records.Count);
                        await Task.Delay(QueueFullBackoff, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (Exception e)
                {
                    batch.NotAdded(e is OperationCanceledException ? null : e);
                    throw;
                }
            }
        }
        finally
        {
            batch.AllAdded();
        }

        await batch.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private bool TryProduce(string topic, Message<byte[]?, byte[]> record, DeliveryBatch batch)
    {
        try
        {
            _producer.Produce(topic, record, batch.OnReport);
            return true;
        }
        catch (ProduceException<byte[]?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
        {
            return false;
        }
    }

    /// <summary>Waits for everything enqueued so far; false if records were still pending at the timeout.</summary>
    public bool Flush(TimeSpan timeout) => _producer.Flush(timeout) == 0;

    public void Dispose()
    {
        var pending = _producer.Flush(DisposeFlushTimeout);
        if (pending > 0)
        {
            UndeliveredOnDispose(_logger, pending);
        }

        _producer.Dispose();
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "Kafka producer queue full while sending {Count} records; backing off")]
    private static partial void QueueFull(ILogger logger, int count);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Kafka producer disposed with {Pending} records still unacknowledged")]
    private static partial void UndeliveredOnDispose(ILogger logger, int pending);
}
