using CartRecovery.Runtime.Diagnostics;
using CartRecovery.Runtime.Storage;

namespace CartRecovery.Runtime.Partitions;

/// <summary>
/// Write-behind checkpoints. Grains mark states dirty; a partition's dirty states, reminder
/// changes and offset watermark are written in one transaction on an interval or size bound.
/// Snapshots are taken under each grain's turn lock, the write under the partition's write gate,
/// which explicit writes also take, so the two paths never overwrite each other.
/// </summary>
internal sealed class Checkpointer(GrainRuntime runtime)
{
    private const int MaxConflictRetries = 8;

    public void MarkDirty(IStateEntry state)
    {
        var partition = state.Activation.Partition;
        if (partition.MarkDirty(state) >= runtime.Options.FlushMaxDirty)
        {
            runtime.RequestCheckpoint(partition);
        }
    }

    /// <summary>Persists one state at once (explicit WriteStateAsync/ClearStateAsync; deactivation).</summary>
    public async Task WriteNowAsync(IStateEntry state, byte[]? json, long stamp)
    {
        var partition = state.Activation.Partition;
        await partition.WriteGate.WaitAsync();
        try
        {
            if (partition.Closed)
            {
                throw new PartitionNotOwnedException(state.Activation.Id, partition.Partition);
            }

            var write = new StateWrite(state.Activation.Id.Type, state.Activation.Id.Key, state.Name, json, state.Version);
            var started = runtime.Metrics.Start();
            var versions = await WriteAsync(partition, new Checkpoint(partition.Fence, [write], [], null));
            runtime.Metrics.CheckpointWritten(started, 1);
            partition.Forget(state);
            state.Committed(json is null ? null : versions[0], stamp);
        }
        finally
        {
            partition.WriteGate.Release();
        }
    }

    /// <summary>Checkpoints one partition. Failed work stays pending for the next attempt.</summary>
    public async Task CheckpointAsync(PartitionContext partition, CancellationToken cancellationToken)
    {
        await partition.FlushGate.WaitAsync(cancellationToken);
        try
        {
            await CheckpointLockedAsync(partition, cancellationToken);
        }
        finally
        {
            partition.FlushGate.Release();
        }
    }

    private async Task CheckpointLockedAsync(PartitionContext partition, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            if (partition.Closed || await TryCheckpointAsync(partition, cancellationToken))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Checkpoints several partitions in one storage transaction (a group commit: one flush costs one
    /// commit however many partitions it covers). If the joint write fails on a stale epoch or a
    /// version conflict, nothing of it was written, and the partitions are checkpointed one by one
    /// so the failure stays with its own partition.
    /// </summary>
    public async Task CheckpointManyAsync(IReadOnlyCollection<PartitionContext> partitions, CancellationToken cancellationToken)
    {
        // Gates are always taken in partition order, so two group flushes cannot deadlock.
        var ordered = partitions.Where(p => !p.Closed).Distinct().OrderBy(p => p.Partition).ToList();
        if (ordered.Count <= 1)
        {
            foreach (var p in ordered)
            {
                await CheckpointAsync(p, cancellationToken);
            }

            return;
        }

        var flushing = new List<PartitionContext>(ordered.Count);
        try
        {
            foreach (var p in ordered)
            {
                await p.FlushGate.WaitAsync(cancellationToken);
                flushing.Add(p);
            }

            if (await TryCheckpointTogetherAsync(flushing, cancellationToken))
            {
                return;
            }

            // Still holding every flush gate, so no other flush slips in between. Every partition
            // gets its attempt; the first failure is rethrown (as a lone checkpoint would throw it)
            // and any further ones are logged.
            Exception? first = null;
            foreach (var p in flushing)
            {
                try
                {
                    await CheckpointLockedAsync(p, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    if (first is null)
                    {
                        first = e;
                    }
                    else
                    {
                        runtime.Log.CheckpointFailed(e, p.Partition);
                    }
                }
            }

            if (first is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
            }
        }
        finally
        {
            foreach (var p in flushing)
            {
                p.FlushGate.Release();
            }
        }
    }

    /// <summary>The joint write, under the partitions' flush gates; false when they must be written one by one.</summary>
    private async Task<bool> TryCheckpointTogetherAsync(List<PartitionContext> partitions, CancellationToken cancellationToken)
    {
        var pending = new List<Pending>(partitions.Count);
        foreach (var p in partitions)
        {
            if (await TakeAsync(p, cancellationToken) is { } work)
            {
                pending.Add(work);
            }
        }

        var writing = new List<PartitionContext>(pending.Count);
        try
        {
            foreach (var work in pending)
            {
                await work.Partition.WriteGate.WaitAsync(cancellationToken);
                writing.Add(work.Partition);
            }

            var live = new List<Pending>(pending.Count);
            foreach (var work in pending)
            {
                if (work.Partition.Closed)
                {
                    work.Signal.TrySetException(new PartitionNotOwnedException(default, work.Partition.Partition));
                }
                else
                {
                    work.SelectCurrent();
                    live.Add(work);
                }
            }

            if (live.Count == 0)
            {
                return true;
            }

            var started = runtime.Metrics.Start();
            long[][] versions;
            try
            {
                versions = await runtime.Storage.WriteCheckpointsAsync(live.Select(w => w.ToCheckpoint()).ToList(), CancellationToken.None);
            }
            catch (Exception e) when (e is StalePartitionEpochException or InconsistentStateException)
            {
                // Nothing was written: hand the work back and let each partition meet its own fate.
                foreach (var work in live)
                {
                    work.Partition.Restore(work.States, work.Reminders, work.Signal);
                }

                return false;
            }
            catch (Exception e)
            {
                runtime.Metrics.CheckpointFailed();
                foreach (var work in live)
                {
                    work.Partition.Restore(work.States, work.Reminders, work.Signal);
                }

                runtime.Log.CheckpointFailed(e, live[0].Partition.Partition);
                throw;
            }

            runtime.Metrics.CheckpointWritten(started, live.Sum(w => w.Current!.Count));
            for (var i = 0; i < live.Count; i++)
            {
                Complete(live[i], versions[i]);
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            // Cancelled while waiting for a gate: the taken work goes back untouched.
            foreach (var work in pending)
            {
                work.Partition.Restore(work.States, work.Reminders, work.Signal);
            }

            throw;
        }
        finally
        {
            foreach (var p in writing)
            {
                p.WriteGate.Release();
            }
        }
    }

    private sealed record Snapshot(IStateEntry Entry, StateWrite Write, long Stamp);

    /// <summary>One partition's taken work: what it will write, and who waits for it.</summary>
    private sealed class Pending(PartitionContext partition, long? watermark, HashSet<IStateEntry> states, List<ReminderChange> reminders, TaskCompletionSource signal)
    {
        public PartitionContext Partition { get; } = partition;

        public long? Watermark { get; } = watermark;

        public HashSet<IStateEntry> States { get; } = states;

        public List<ReminderChange> Reminders { get; } = reminders;

        public TaskCompletionSource Signal { get; } = signal;

        public List<Snapshot> Snapshots { get; } = new(states.Count);

        public List<Snapshot>? Current { get; private set; }

        /// <summary>Under the write gate: an explicit write after the snapshot carries newer state and already moved the version on.</summary>
        public void SelectCurrent() =>
            Current = Snapshots.Where(s => s.Entry.Version == s.Write.ExpectedVersion && !s.Entry.Activation.Discarded).ToList();

        public Checkpoint ToCheckpoint() => new(Partition.Fence, Current!.Select(s => s.Write).ToList(), Reminders, Watermark);
    }

    /// <summary>Takes a partition's pending work and snapshots its states; null (waiters released) when there is nothing to write.</summary>
    private static async Task<Pending?> TakeAsync(PartitionContext partition, CancellationToken cancellationToken)
    {
        // The watermark is read before any state, so every event below it is already in the states.
        var watermark = partition.Watermark;
        var (states, taken, signal) = partition.Take();

        // Only the last change per reminder matters (and one statement may not touch a row twice).
        var reminders = taken.Count < 2 ? taken
            : taken.Select((c, i) => (c, i)).GroupBy(x => (x.c.Row.GrainType, x.c.Row.GrainKey, x.c.Row.Name))
                .Select(g => g.Last()).OrderBy(x => x.i).Select(x => x.c).ToList();
        if (states.Count == 0 && reminders.Count == 0 && watermark == partition.CheckpointedOffset)
        {
            signal.TrySetResult();
            return null;
        }

        var work = new Pending(partition, watermark, states, reminders, signal);
        foreach (var entry in states)
        {
            var activation = entry.Activation;
            if (!activation.Turn.Wait(0))
            {
                await activation.Turn.WaitAsync(cancellationToken);
            }

            try
            {
                // An explicit write since the state was marked may already have stored it.
                if (!activation.Discarded && entry.IsDirty)
                {
                    var stamp = entry.Stamp;
                    work.Snapshots.Add(new Snapshot(entry, new StateWrite(activation.Id.Type, activation.Id.Key, entry.Name, entry.Serialize(), entry.Version), stamp));
                }
            }
            finally
            {
                activation.Turn.Release();
            }
        }

        return work;
    }

    private void Complete(Pending work, long[] versions)
    {
        var current = work.Current!;
        for (var i = 0; i < current.Count; i++)
        {
            current[i].Entry.Committed(versions[i], current[i].Stamp);
        }

        work.Partition.CheckpointedOffset = work.Watermark;
        work.Signal.TrySetResult();
        runtime.OnCheckpointed(work.Partition, work.Watermark);
    }

    /// <summary>Returns false when a version conflict removed a grain and the rest should be retried.</summary>
    private async Task<bool> TryCheckpointAsync(PartitionContext partition, CancellationToken cancellationToken)
    {
        if (await TakeAsync(partition, cancellationToken) is not { } work)
        {
            return true;
        }

        await partition.WriteGate.WaitAsync(cancellationToken);
        try
        {
            if (partition.Closed)
            {
                work.Signal.TrySetException(new PartitionNotOwnedException(default, partition.Partition));
                return true;
            }

            work.SelectCurrent();
            var started = runtime.Metrics.Start();
            var versions = await WriteAsync(partition, work.ToCheckpoint());
            runtime.Metrics.CheckpointWritten(started, work.Current!.Count);
            Complete(work, versions);
            return true;
        }
        catch (InconsistentStateException conflict)
        {
            // The grain's in-memory state is stale: drop the activation so the next call re-reads.
            var loser = work.Snapshots.FirstOrDefault(s => s.Write.ToString() == conflict.GrainState);
            runtime.Log.CheckpointConflict(conflict.Message);
            partition.Restore(work.Snapshots.Where(s => s != loser).Select(s => s.Entry), work.Reminders, work.Signal);
            if (loser is null)
            {
                throw;
            }

            runtime.DiscardActivation(loser.Entry.Activation);
            return false;
        }
        catch (StalePartitionEpochException e)
        {
            work.Signal.TrySetException(e);
            throw;
        }
        catch (Exception e)
        {
            runtime.Metrics.CheckpointFailed();
            partition.Restore(work.States, work.Reminders, work.Signal);
            runtime.Log.CheckpointFailed(e, partition.Partition);
            throw;
        }
        finally
        {
            partition.WriteGate.Release();
        }
    }

    private async Task<long[]> WriteAsync(PartitionContext partition, Checkpoint checkpoint)
    {
        try
        {
            return await runtime.Storage.WriteCheckpointAsync(checkpoint, CancellationToken.None);
        }
        catch (StalePartitionEpochException)
        {
            // Another silo owns the partition now: stop hosting it without writing anything more.
            runtime.LosePartition(partition);
            throw;
        }
    }
}
