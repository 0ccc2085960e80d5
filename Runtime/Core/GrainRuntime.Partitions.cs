using CartRecovery.Runtime.Diagnostics;
using CartRecovery.Runtime.Partitions;

namespace CartRecovery.Runtime;

public sealed partial class GrainRuntime
{
    /// <summary>
    /// Takes a partition: bumps its epoch in storage (fencing out any previous owner) and loads its
    /// reminders. Returns the last checkpointed event offset, where event consumption resumes.
    /// </summary>
    public async Task<long?> AcquirePartitionAsync(int partition, CancellationToken cancellationToken)
    {
        if (Partitions.Get(partition) is { } existing)
        {
            return existing.CheckpointedOffset;
        }

        var lease = await Storage.AcquirePartitionAsync(partition, SiloId, cancellationToken);
        var reminders = await Storage.LoadRemindersAsync(partition, cancellationToken);
        var context = new PartitionContext(partition, lease.Epoch) { Watermark = lease.Offset, CheckpointedOffset = lease.Offset, Awaited = OnCheckpointAwaited };
        Reminders.Load(partition, reminders);
        Partitions.Add(context);
        Log.PartitionAcquired(partition, lease.Epoch, reminders.Count);
        return lease.Offset;
    }

    /// <summary>The event offset recorded by the partition's last committed checkpoint.</summary>
    public long? CheckpointedOffset(int partition) => Partitions.Get(partition)?.CheckpointedOffset;

    /// <summary>
    /// Gives a partition up gracefully: new calls are refused, in-flight turns finish, activations
    /// deactivate, and everything pending is checkpointed before the partition is released.
    /// </summary>
    public async Task ReleasePartitionAsync(int partition, CancellationToken cancellationToken)
    {
        var context = Partitions.Remove(partition);
        if (context is null)
        {
            return;
        }

        foreach (var activation in context.Activations.Values.ToArray())
        {
            await activation.Turn.WaitAsync(cancellationToken);
            try
            {
                await activation.RetireLockedAsync(DeactivationReason.PartitionReleased);
            }
            finally
            {
                activation.Turn.Release();
            }
        }

        try
        {
            await Checkpointer.CheckpointAsync(context, cancellationToken);
            if (!context.Closed)
            {
                await Storage.ReleasePartitionAsync(context.Fence, cancellationToken);
            }
        }
        finally
        {
            context.Closed = true;
            context.FailWaiters(new PartitionNotOwnedException(default, partition));
            Reminders.Drop(partition);
            Log.PartitionReleased(partition);
        }
    }

    /// <summary>Another silo took the partition: drop everything of it without writing.</summary>
    internal void LosePartition(PartitionContext context)
    {
        if (context.Closed)
        {
            return;
        }

        context.Closed = true;
        Partitions.Remove(context.Partition);
        foreach (var activation in context.Activations.Values.ToArray())
        {
            DiscardActivation(activation);
        }

        Reminders.Drop(context.Partition);
        Log.PartitionLost(context.Partition);
        PartitionLost?.Invoke(context.Partition);
    }

    /// <summary>Forgets an activation without writing its state (it is stale or no longer ours).</summary>
    internal void DiscardActivation(GrainActivation activation)
    {
        activation.Discarded = true;
        activation.IsDefunct = true;
        foreach (var state in activation.States)
        {
            activation.Partition.Forget(state);
        }

        Catalog.Remove(activation);
        if (activation.IsActivated)
        {
            Metrics.ActivationRemoved(activation.Id.Type);
        }
    }

    /// <summary>Set while someone waits for a checkpoint: flushes then come every AckFlushInterval.</summary>
    private int _ackWaiting;

    private void OnCheckpointAwaited()
    {
        if (Interlocked.Exchange(ref _ackWaiting, 1) == 0)
        {
            _checkpointSignal.Release();
        }
    }

    private async Task CheckpointLoopAsync()
    {
        // Real elapsed time, not the runtime's clock: a replay may drive that clock by hand.
        var token = _stopping.Token;
        var interval = (long)Options.FlushInterval.TotalMilliseconds;
        var ackInterval = Math.Min(interval, (long)Options.AckFlushInterval.TotalMilliseconds);
        var last = Environment.TickCount64;
        long Next() => last + (Volatile.Read(ref _ackWaiting) != 0 ? ackInterval : interval);
        while (!token.IsCancellationRequested)
        {
            var wait = TimeSpan.FromMilliseconds(Next() - Environment.TickCount64);
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await _checkpointSignal.WaitAsync(wait, token);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var due = Environment.TickCount64 >= Next();
            var targets = new HashSet<PartitionContext>();
            while (_checkpointRequests.TryDequeue(out var requested))
            {
                targets.Add(requested);
            }

            if (!due && targets.Count == 0)
            {
                continue;
            }

            // Waiters arriving from here on re-arm the short interval for the next flush. Whatever
            // else has work joins the same transaction: one commit answers every waiter.
            Volatile.Write(ref _ackWaiting, 0);
            targets.UnionWith(Partitions.Contexts.Where(p => p.HasWork));
            last = Environment.TickCount64;

            targets.RemoveWhere(p => p.Closed);
            if (targets.Count == 0)
            {
                continue;
            }

            try
            {
                // One transaction for every partition due: a flush costs one commit, not one per partition.
                await Checkpointer.CheckpointManyAsync(targets, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Work stays pending and is retried on the next interval.
                Log.LoopFailed(e, "checkpoint");
            }
        }
    }

    private async Task ReminderLoopAsync()
    {
        var token = _stopping.Token;
        using var timer = new PeriodicTimer(Options.ReminderPollInterval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(token))
            {
                try
                {
                    await Reminders.FireDueAsync(Time.GetUtcNow(), token);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.LoopFailed(e, "reminders");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task CollectionLoopAsync()
    {
        var token = _stopping.Token;
        using var timer = new PeriodicTimer(Options.CollectionInterval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(token))
            {
                try
                {
                    await CollectIdleAsync(Options.CollectionAge);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.LoopFailed(e, "collection");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Deactivates activations unused for <paramref name="age"/>, checkpointing their state first.</summary>
    public async Task<int> CollectIdleAsync(TimeSpan age)
    {
        var cutoff = Environment.TickCount64 - (long)age.TotalMilliseconds;
        var collected = 0;
        foreach (var activation in Catalog.All)
        {
            if (activation.KeepAlive || Volatile.Read(ref activation.LastUsedTicks) > cutoff || !activation.Turn.Wait(0))
            {
                continue;
            }

            try
            {
                if (!activation.IsDefunct)
                {
                    await activation.DeactivateLockedAsync(DeactivationReason.IdleCollection, persist: true);
                    collected++;
                }
            }
            catch (Exception e)
            {
                Log.DeactivationFailed(e, activation.Id.ToString());
            }
            finally
            {
                activation.Turn.Release();
            }
        }

        return collected;
    }
}
