namespace CartRecovery.Persistence.Internal.Writes;

// One write waiting for the group-commit writer. A transaction records each write's own outcome
// (done, or refused for a stale version) while it runs; callers learn it only after COMMIT
// returned, so no caller ever sees a write that could still roll back.
internal abstract class WriteOp
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Completion => _done.Task;

    // Whether the transaction refused this write (stale version); the others in it still commit.
    public bool Refused { get; protected set; }

    // The identity that orders writes: two writes with the same identity run in arrival order.
    public abstract (int Table, string A, string B, string C) Identity { get; }

    // Forgets a recorded outcome, before a transaction is retried from the start.
    public virtual void ResetOutcome() => Refused = false;

    // Tells the caller the outcome recorded in the transaction that just committed.
    public void Publish()
    {
        if (Refused && RefusalException() is { } refusal)
        {
            _done.TrySetException(refusal);
        }
        else
        {
            _done.TrySetResult();
        }
    }

    // Fails the caller: its transaction did not commit.
    public void Abort(Exception exception) => _done.TrySetException(exception);

    // The exception a refused write completes with; null when a refusal is a normal answer (a reminder removal).
    protected abstract Exception? RefusalException();
}
