using Confluent.Kafka;

namespace CartRecovery.Kafka.Consuming;

public sealed partial class PartitionedConsumer
{
    // Runs on the poll thread inside Consume/Close; librdkafka applies the returned offsets as the assignment.
    private IEnumerable<TopicPartitionOffset> Assign(List<TopicPartition> assigned)
    {
        var partitions = assigned.Select(tp => tp.Partition.Value).Order().ToArray();
        if (partitions.Length == 0)
        {
            // Cooperative rebalances report "nothing new" rounds; the owner has nothing to acquire.
            return [];
        }

        IReadOnlyDictionary<int, long>? starts = null;
        try
        {
            starts = _owner.OnAssignedAsync(partitions).GetAwaiter().GetResult();
            foreach (var partition in partitions)
            {
                var lane = new PartitionLane(partition, _owner, _maxBatch, _maxInFlight / 2, RequestResume);
                _lanes[partition] = lane;
                lane.Worker.ContinueWith(
                    static (t, state) => ((PartitionedConsumer)state!).Fail(t.Exception!.GetBaseException()),
                    this,
                    CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }

            PublishAssignment();
            PartitionsAssigned(_logger, Topic, GroupId, partitions.Length, string.Join(",", partitions));
        }
        catch (Exception e)
        {
            // Without ownership nothing may be delivered: no lanes exist, and the loop leaves the group so
            // another member takes over.
            Fail(e);
        }

        return assigned.Select(tp => new TopicPartitionOffset(
            tp, starts is not null && starts.TryGetValue(tp.Partition.Value, out var start) ? new Offset(start) : Offset.Unset));
    }

    private void Revoke(IEnumerable<TopicPartition> revoked, bool lost)
    {
        ReleaseLanes([.. revoked.Select(tp => tp.Partition.Value)], lost);
    }

    private void ReleaseLanes(int[] partitions, bool lost)
    {
        Array.Sort(partitions);
        var lanes = new List<PartitionLane>(partitions.Length);
        foreach (var partition in partitions)
        {
            if (_lanes.TryRemove(partition, out var lane))
            {
                lanes.Add(lane);
            }
        }

        // Only partitions the owner acquired are handed back (an assignment whose callback failed created none).
        if (lanes.Count == 0)
        {
            PublishAssignment();
            return;
        }

        var owned = lanes.Select(l => l.Partition).ToArray();
        PartitionsRevoking(_logger, Topic, GroupId, owned.Length, string.Join(",", owned), lost);

        // Let running handler calls finish before the owner flushes; a failed handler was reported already.
        Task.WhenAll(lanes.Select(l => l.CloseAsync())).ContinueWith(static _ => { }, TaskScheduler.Default).GetAwaiter().GetResult();

        // A paused partition could otherwise come back paused when it is assigned to this member again.
        var paused = lanes.Where(l => l.IsPaused).Select(l => new TopicPartition(Topic, l.Partition)).ToList();
        if (paused.Count > 0)
        {
            _pausedLanes -= paused.Count;
            try
            {
                _consumer.Resume(paused);
            }
            catch (KafkaException)
            {
                // Already closed (shutdown path): there is no later assignment to protect.
            }
        }

        try
        {
            (lost ? _owner.OnLostAsync(owned) : _owner.OnRevokedAsync(owned)).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            RevokeCallbackFailed(_logger, Topic, e);
        }

        if (!lost)
        {
            CommitStored();
        }

        PublishAssignment();
    }

    // Synchronous so the offsets are on the broker before librdkafka releases the partitions to the group.
    private void CommitStored()
    {
        try
        {
            _consumer.Commit();
        }
        catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_NoOffset)
        {
            // Nothing stored since the last commit.
        }
        catch (KafkaException e)
        {
            CommitFailed(_logger, Topic, e.Error.Code, e.Error.Reason);
        }
    }

    private void PublishAssignment() => _assigned = [.. _lanes.Keys.Order()];
}
