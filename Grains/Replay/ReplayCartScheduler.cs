using CartRecovery.Grains.Carts;

namespace CartRecovery.Grains.Replay;

/// <summary>
/// Deadlines on the replay's event-time clock: carts say when they are next due, and the replay
/// calls <c>Advance</c> on each one as its clock passes that moment, in due order.
/// </summary>
public sealed class ReplayCartScheduler : ICartScheduler
{
    private readonly object _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _due = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _queue = new();

    public Task ScheduleAsync(CartGrain cart, DateTimeOffset? due, DateTimeOffset now)
    {
        var key = cart.Key;
        lock (_gate)
        {
            if (due is { } at)
            {
                _due[key] = at;
                _queue.Enqueue(key, at);
            }
            else
            {
                _due.Remove(key);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>The earliest deadline held, if any.</summary>
    public DateTimeOffset? NextDue()
    {
        lock (_gate)
        {
            while (_queue.TryPeek(out var key, out var at))
            {
                if (_due.TryGetValue(key, out var current) && current == at)
                {
                    return at;
                }

                _queue.Dequeue(); // superseded by a later schedule of the same cart
            }

            return null;
        }
    }

    /// <summary>Removes and returns the carts due at or before <paramref name="at"/>.</summary>
    public List<string> TakeDue(DateTimeOffset at)
    {
        var keys = new List<string>();
        lock (_gate)
        {
            while (_queue.TryPeek(out var key, out var due) && due <= at)
            {
                _queue.Dequeue();
                if (_due.TryGetValue(key, out var current) && current == due)
                {
                    _due.Remove(key);
                    keys.Add(key);
                }
            }
        }

        return keys;
    }
}
