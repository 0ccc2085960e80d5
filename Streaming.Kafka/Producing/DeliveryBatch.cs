using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;

namespace CartRecovery.Streaming.Kafka.Producing;

/// <summary>
/// Counts outstanding delivery reports of one batch and completes once every record is acknowledged, so a batch of
/// thousands costs one task instead of one await per record.
/// </summary>
internal sealed class DeliveryBatch
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Starts at one: the producing loop holds a reference until it has enqueued everything, so early
    // acknowledgements cannot complete the batch while records are still being added.
    private int _outstanding = 1;
    private int _total;
    private int _failed;
    private Error? _firstError;
    private Exception? _enqueueFailure;

    public DeliveryBatch() => OnReport = Report;

    public Action<DeliveryReport<byte[]?, byte[]>> OnReport { get; }

    public Task Completion => _done.Task;

    public void Adding()
    {
        Interlocked.Increment(ref _outstanding);
        Interlocked.Increment(ref _total);
    }

    /// <summary>The record counted by <see cref="Adding"/> never reached the client's queue.</summary>
    public void NotAdded(Exception? failure)
    {
        Interlocked.Decrement(ref _total);
        if (failure is not null)
        {
            Interlocked.CompareExchange(ref _enqueueFailure, failure, null);
        }

        Release();
    }

    public void AllAdded() => Release();

    private void Report(DeliveryReport<byte[]?, byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.Increment(ref _failed);
            lock (_done)
            {
                _firstError ??= report.Error;
            }
        }

        Release();
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _outstanding) != 0)
        {
            return;
        }

        if (_failed > 0)
        {
            _done.TrySetException(new KafkaDeliveryException(_failed, _total, _firstError!));
        }
        else if (_enqueueFailure is not null)
        {
            _done.TrySetException(new KafkaDeliveryException("Kafka records could not be enqueued: " + _enqueueFailure.Message, _enqueueFailure));
        }
        else
        {
            _done.TrySetResult();
        }
    }
}
