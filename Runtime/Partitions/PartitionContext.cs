using System.Collections.Concurrent;
using CartRecovery.Runtime.Storage;

namespace CartRecovery.Runtime.Partitions;

/// <summary>
/// What this silo holds for one owned partition: its fence, activations, the write-behind set
/// and the offset watermark that the next checkpoint will record.
/// </summary>
internal sealed class PartitionContext(int partition, long epoch)
{
    public int Partition { get; } = partition;

    public PartitionFence Fence { get; } = new(partition, epoch);

    public ConcurrentDictionary<GrainId, GrainActivation> Activations { get; } = new();

    /// <summary>Held while writing to storage, so explicit writes and checkpoints of the partition never interleave.</summary>
    public SemaphoreSlim WriteGate { get; } = new(1, 1);

    /// <summary>Serializes checkpoints of this partition (snapshot + write).</summary>
    public SemaphoreSlim FlushGate { get; } = new(1, 1);

    private readonly object _sync = new();
    private HashSet<IStateEntry> _dirty = new();
    private List<ReminderChange> _reminders = new();
    private TaskCompletionSource _nextCheckpoint = NewSignal();

    /// <summary>Highest event offset whose effects are applied in memory; recorded by the next checkpoint.</summary>
    public long? Watermark { get; set; }

    public long? CheckpointedOffset { get; set; }

    /// <summary>Set when the partition was released or lost: nothing may be written for it any more.</summary>
    public volatile bool Closed;

    public int DirtyCount
    {
        get
        {
            lock (_sync)
            {
                return _dirty.Count + _reminders.Count;
            }
        }
    }

    /// <summary>
    /// Something to write, or someone waiting for a checkpoint: a waiter may have arrived just after
    /// the checkpoint that already covered its events, and must not wait for work that never comes.
    /// </summary>
    public bool HasWork => DirtyCount > 0 || Watermark != CheckpointedOffset || Volatile.Read(ref _awaited);

    private bool _awaited;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int MarkDirty(IStateEntry state)
    {
        lock (_sync)
        {
            _dirty.Add(state);
            return _dirty.Count;
        }
    }

    public void Forget(IStateEntry state)
    {
        lock (_sync)
        {
            _dirty.Remove(state);
        }
    }

    public void AddReminderChange(ReminderChange change)
    {
        lock (_sync)
        {
            _reminders.Add(change);
        }
    }

    /// <summary>Called when the first caller starts waiting for the next checkpoint (so it can come sooner).</summary>
    public Action? Awaited { get; init; }

    /// <summary>A task that completes when a checkpoint that starts after this call has committed.</summary>
    public Task NextCheckpoint
    {
        get
        {
            bool first;
            Task next;
            lock (_sync)
            {
                first = !_awaited;
                _awaited = true;
                next = _nextCheckpoint.Task;
            }

            if (first)
            {
                Awaited?.Invoke();
            }

            return next;
        }
    }

    /// <summary>Takes the pending work for a checkpoint; the caller must hand it back with <see cref="Restore"/> if the write fails.</summary>
    public (HashSet<IStateEntry> States, List<ReminderChange> Reminders, TaskCompletionSource Signal) Take()
    {
        lock (_sync)
        {
            var taken = (_dirty, _reminders, _nextCheckpoint);
            _awaited = false;
            _dirty = new HashSet<IStateEntry>();
            _reminders = new List<ReminderChange>();
            _nextCheckpoint = NewSignal();
            return taken;
        }
    }

    /// <summary>Puts work of a failed checkpoint back, ahead of anything newer, and chains its waiters to the next one.</summary>
    public void Restore(IEnumerable<IStateEntry> states, List<ReminderChange> reminders, TaskCompletionSource signal)
    {
        lock (_sync)
        {
            _dirty.UnionWith(states);
            reminders.AddRange(_reminders);
            _reminders = reminders;
            var next = _nextCheckpoint.Task;
            _ = next.ContinueWith(t => signal.TrySetFromTask(t), TaskScheduler.Default);
        }
    }

    public void FailWaiters(Exception error)
    {
        TaskCompletionSource signal;
        lock (_sync)
        {
            signal = _nextCheckpoint;
        }

        signal.TrySetException(error);
    }
}
