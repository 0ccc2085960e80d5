namespace CartRecovery.Grains.Common;

/// <summary>
/// Orders the writes of one activation's state. A grain whose interleaving methods may both save
/// (the shopper's nudge permits run while a batch awaits its carts) would otherwise issue two
/// writes holding the same ETag, and the second would lose. A save requested while another is
/// queued but not yet started joins it: that write carries the latest state anyway.
/// </summary>
internal sealed class SerialStateWriter<T>(IPersistentState<T> state)
{
    private Task _tail = Task.CompletedTask;
    private Pending? _pending;

    public Task SaveAsync()
    {
        if (_pending is { Started: false } queued)
        {
            return queued.Task!;
        }

        if (_tail.IsCompleted)
        {
            // Nothing in flight: the write starts now (whatever became of the previous one), nothing to join.
            _pending = null;
            return _tail = state.WriteStateAsync();
        }

        var pending = new Pending();
        _pending = pending;
        pending.Task = _tail = WriteAfterAsync(_tail, pending);
        return pending.Task;
    }

    private async Task WriteAfterAsync(Task previous, Pending self)
    {
        try
        {
            await previous;
        }
        catch
        {
            // The earlier write's caller saw its failure; this write carries the state on its own.
        }

        self.Started = true;
        await state.WriteStateAsync();
    }

    private sealed class Pending
    {
        public Task? Task;
        public bool Started;
    }
}
