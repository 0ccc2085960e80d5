namespace CartRecovery.Persistence.Internal.Writes;

// Writes a batch in one transaction: records every write's own outcome on it (refused writes do
// not abort the others) and returns once COMMIT returned. Throws when the transaction as a whole
// failed; the writer then fails every caller in the batch.
internal interface IBatchCommitter : IAsyncDisposable
{
    Task CommitAsync(IReadOnlyList<WriteOp> batch, CancellationToken cancellationToken);
}
