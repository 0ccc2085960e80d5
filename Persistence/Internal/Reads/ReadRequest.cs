namespace CartRecovery.Persistence.Internal.Reads;

// One state read waiting to be answered by a coalesced query.
internal sealed class ReadRequest(StateKey key)
{
    private readonly TaskCompletionSource<StoredState?> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StateKey Key { get; } = key;

    public Task<StoredState?> Completion => _done.Task;

    public void Complete(StoredState? state) => _done.TrySetResult(state);

    public void Fail(Exception exception) => _done.TrySetException(exception);
}

// Answers a batch of reads: one query per grain type and state name.
internal interface IStateReader
{
    // Completes every request of batch; returns the number of queries issued.
    Task<int> ReadAsync(IReadOnlyList<ReadRequest> batch, CancellationToken cancellationToken);
}
