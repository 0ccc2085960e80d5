using Confluent.Kafka;

namespace CartRecovery.Kafka.Consuming;

public sealed partial class PartitionedConsumer
{
    private void PollLoop()
    {
        try
        {
            _consumer.Subscribe(Topic);
            while (!_stop.IsCancellationRequested && _fatal is null)
            {
                ServeResumeRequests();
                ConsumeResult<byte[]?, byte[]?>? result;
                try
                {
                    result = _consumer.Consume(_pausedLanes > 0 ? PausedPollTimeout : PollTimeout);
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    ConsumeFailed(_logger, Topic, e.Error.Code, e.Error.Reason);
                    continue;
                }

                if (result is { IsPartitionEOF: false })
                {
                    Dispatch(result);
                }
            }
        }
        catch (Exception e)
        {
            Fail(e);
        }
        finally
        {
            Shutdown();
        }
    }

    private void Dispatch(ConsumeResult<byte[]?, byte[]?> result)
    {
        // Records fetched before a revocation can still surface; the partition's new owner will read them itself.
        if (!_lanes.TryGetValue(result.Partition.Value, out var lane))
        {
            return;
        }

        lane.Enqueue(ConsumedMessages.From(result));
        if (lane.InFlight >= _maxInFlight && lane.MarkPaused())
        {
            _consumer.Pause([result.TopicPartition]);
            _pausedLanes++;
            PartitionPaused(_logger, Topic, lane.Partition, lane.InFlight);

            // The worker may have drained everything before it could see the flag.
            if (lane.CanResume)
            {
                _resumeRequests.Enqueue(lane);
            }
        }
    }

    private void ServeResumeRequests()
    {
        while (_resumeRequests.TryDequeue(out var lane))
        {
            // A lane from an earlier assignment generation is gone; its partition was resumed at revocation.
            if (_lanes.TryGetValue(lane.Partition, out var current) && ReferenceEquals(current, lane) && lane.CanResume && lane.MarkResumed())
            {
                _consumer.Resume([new TopicPartition(Topic, lane.Partition)]);
                _pausedLanes--;
                PartitionResumed(_logger, Topic, lane.Partition, lane.InFlight);
            }
        }
    }

    private void RequestResume(PartitionLane lane) => _resumeRequests.Enqueue(lane);

    private void Shutdown()
    {
        try
        {
            // Close runs the revocation (owner flush + commit) on this thread, then leaves the group so the
            // partitions move without waiting for the session timeout.
            _consumer.Close();
        }
        catch (Exception e)
        {
            CloseFailed(_logger, Topic, e);
        }

        // Close skips revocation when the group was never joined or the coordinator was gone; the owner
        // still has to let go of whatever it acquired.
        if (!_lanes.IsEmpty)
        {
            ReleaseLanes([.. _lanes.Keys], lost: true);
        }

        DisposeClient();
        if (_fatal is { } fatal)
        {
            _completion.TrySetException(fatal);
        }
        else
        {
            _completion.TrySetResult();
        }
    }

    private void Fail(Exception error)
    {
        if (Interlocked.CompareExchange(ref _fatal, error, null) is null)
        {
            ConsumerFailed(_logger, Topic, error);
        }
    }
}
