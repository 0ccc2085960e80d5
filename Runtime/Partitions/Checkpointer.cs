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
    public async Task WriteNowAsync(IStateEntry state, string? json, long stamp)
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
            for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
            {
                if (partition.Closed || await TryCheckpointAsync(partition, cancellationToken))
                {
                    return;
                }
            }
        }
        finally
        {
            partition.FlushGate.Release();
        }
    }

    private sealed record Snapshot(IStateEntry Entry, StateWrite Write, long Stamp);

    /// <summary>Returns false when a version conflict removed a grain and the rest should be retried.</summary>
    private async Task<bool> TryCheckpointAsync(PartitionContext partition, CancellationToken cancellationToken)
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
            return true;
        }

        var snapshots = new List<Snapshot>(states.Count);
        foreach (var entry in states)
        {
            var activation = entry.Activation;
            await activation.Turn.WaitAsync(cancellationToken);
            try
            {
                // An explicit write since the state was marked may already have stored it.
                if (!activation.Discarded && entry.IsDirty)
                {
                    var stamp = entry.Stamp;
                    snapshots.Add(new Snapshot(entry, new StateWrite(activation.Id.Type, activation.Id.Key, entry.Name, entry.Serialize(), entry.Version), stamp));
                }
            }
            finally
            {
                activation.Turn.Release();
            }
        }

        await partition.WriteGate.WaitAsync(cancellationToken);
        try
        {
            if (partition.Closed)
            {
                signal.TrySetException(new PartitionNotOwnedException(default, partition.Partition));
                return true;
            }

            // An explicit write after the snapshot carries newer state and already moved the version on.
            var current = snapshots.Where(s => s.Entry.Version == s.Write.ExpectedVersion && !s.Entry.Activation.Discarded).ToList();
            var started = runtime.Metrics.Start();
            var versions = await WriteAsync(partition, new Checkpoint(partition.Fence, current.Select(s => s.Write).ToList(), reminders, watermark));
            runtime.Metrics.CheckpointWritten(started, current.Count);
            for (var i = 0; i < current.Count; i++)
            {
                current[i].Entry.Committed(versions[i], current[i].Stamp);
            }

            partition.CheckpointedOffset = watermark;
            signal.TrySetResult();
            runtime.OnCheckpointed(partition, watermark);
            return true;
        }
        catch (InconsistentStateException conflict)
        {
            // The grain's in-memory state is stale: drop the activation so the next call re-reads.
            var loser = snapshots.FirstOrDefault(s => s.Write.ToString() == conflict.GrainState);
            runtime.Log.CheckpointConflict(conflict.Message);
            partition.Restore(snapshots.Where(s => s != loser).Select(s => s.Entry), reminders, signal);
            if (loser is null)
            {
                throw;
            }

            runtime.DiscardActivation(loser.Entry.Activation);
            return false;
        }
        catch (StalePartitionEpochException e)
        {
            signal.TrySetException(e);
            throw;
        }
        catch (Exception e)
        {
            runtime.Metrics.CheckpointFailed();
            partition.Restore(states, reminders, signal);
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
