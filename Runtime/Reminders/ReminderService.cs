using CartRecovery.Runtime.Diagnostics;
using System.Collections.Concurrent;
using CartRecovery.Runtime.Partitions;
using CartRecovery.Runtime.Storage;

namespace CartRecovery.Runtime.Reminders;

/// <summary>
/// Durable reminders. Rows live with their partition in storage (written by the partition's
/// checkpoint, together with the state change of the turn that registered them) and are loaded
/// when a silo takes the partition, so they fire after restarts and failover.
/// </summary>
public sealed class ReminderService
{
    private readonly GrainRuntime _runtime;
    private readonly ConcurrentDictionary<(GrainId Grain, string Name), Entry> _entries = new();
    private readonly PriorityQueue<Entry, DateTimeOffset> _queue = new();
    private readonly object _queueLock = new();

    internal ReminderService(GrainRuntime runtime) => _runtime = runtime;

    private sealed record Entry(GrainId Grain, string Name, int Partition, DateTimeOffset DueAt, TimeSpan? Period)
    {
        public ReminderRow Row => new(Grain.Type, Grain.Key, Name, DueAt, Period);
    }

    /// <summary>Number of reminders this silo currently schedules.</summary>
    public int Count => _entries.Count;

    internal void Register(GrainActivation activation, string name, TimeSpan dueTime, TimeSpan? period)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (period is { } p && p < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(period), $"reminder '{name}' of {activation.Id}: period must be at least 1 s");
        }

        var entry = new Entry(activation.Id, name, activation.Partition.Partition, _runtime.Time.GetUtcNow() + dueTime, period);
        Schedule(entry);
        activation.Partition.AddReminderChange(new ReminderChange(entry.Row, Delete: false));
    }

    internal void Unregister(GrainActivation activation, string name)
    {
        if (_entries.TryRemove((activation.Id, name), out var entry))
        {
            activation.Partition.AddReminderChange(new ReminderChange(entry.Row, Delete: true));
        }
    }

    /// <summary>When a reminder is next due, or null.</summary>
    public DateTimeOffset? DueAt(GrainId grain, string name) => _entries.TryGetValue((grain, name), out var e) ? e.DueAt : null;

    private void Schedule(Entry entry)
    {
        _entries[(entry.Grain, entry.Name)] = entry;
        lock (_queueLock)
        {
            _queue.Enqueue(entry, entry.DueAt);
        }
    }

    internal void Load(int partition, IEnumerable<ReminderRow> rows)
    {
        foreach (var row in rows)
        {
            Schedule(new Entry(new GrainId(row.GrainType, row.GrainKey), row.Name, partition, row.DueAt, row.Period));
        }
    }

    internal void Drop(int partition)
    {
        foreach (var key in _entries.Where(e => e.Value.Partition == partition).Select(e => e.Key).ToArray())
        {
            _entries.TryRemove(key, out _);
        }
    }

    /// <summary>Earliest due time among scheduled reminders (drives a manual clock in replays).</summary>
    public DateTimeOffset? NextDue()
    {
        lock (_queueLock)
        {
            while (_queue.TryPeek(out var e, out var due))
            {
                if (IsCurrent(e))
                {
                    return due;
                }

                _queue.Dequeue();
            }
        }

        return null;
    }

    private bool IsCurrent(Entry e) => _entries.TryGetValue((e.Grain, e.Name), out var live) && ReferenceEquals(live, e);

    /// <summary>Fires every reminder due at <paramref name="now"/> and waits for the ticks to finish.</summary>
    public async Task<int> FireDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var due = new List<Entry>();
        lock (_queueLock)
        {
            while (_queue.TryPeek(out var e, out var at) && at <= now)
            {
                _queue.Dequeue();
                if (IsCurrent(e))
                {
                    due.Add(e);
                }
            }
        }

        if (due.Count == 0)
        {
            return 0;
        }

        await Task.WhenAll(due.Select(e => FireAsync(e, now, cancellationToken)));
        return due.Count;
    }

    private async Task FireAsync(Entry entry, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var partition = _runtime.Partitions.Get(entry.Partition);
        if (partition is null)
        {
            return;
        }

        try
        {
            await _runtime.InvokeAsync<object?, bool>(entry.Grain, nameof(IRemindable.ReceiveReminder), async (grain, _) =>
            {
                if (grain is not IRemindable remindable)
                {
                    throw new InvalidOperationException($"grain {entry.Grain} has reminder '{entry.Name}' but does not implement IRemindable");
                }

                await remindable.ReceiveReminder(entry.Name, new TickStatus(entry.DueAt, now, entry.Period));
                return true;
            }, null);
            _runtime.Metrics.ReminderFired();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _runtime.Log.ReminderFailed(e, entry.Name, entry.Grain.ToString());
            if (IsCurrent(entry))
            {
                // Try again shortly; the stored row is unchanged, so a restart would retry as well.
                lock (_queueLock)
                {
                    _queue.Enqueue(entry, now + TimeSpan.FromSeconds(1));
                }
            }

            return;
        }

        // The grain may have re-registered or removed the reminder during the tick; that wins.
        if (!IsCurrent(entry) || partition.Closed)
        {
            return;
        }

        if (entry.Period is { } period)
        {
            var next = entry with { DueAt = now + period };
            Schedule(next);
            partition.AddReminderChange(new ReminderChange(next.Row, Delete: false));
        }
        else if (_entries.TryRemove(new KeyValuePair<(GrainId, string), Entry>((entry.Grain, entry.Name), entry)))
        {
            partition.AddReminderChange(new ReminderChange(entry.Row, Delete: true));
        }
    }
}
