using System.Diagnostics;
using System.Threading.Channels;
using CartRecovery.Persistence.Diagnostics;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Persistence.Internal.Writes;

// The single writer loop of one database. Writes from every grain queue here; while one
// transaction is in flight the next ones accumulate, and the next transaction takes all of them
// (up to the batch limit). A commit's fixed cost (round trip, WAL flush) is then paid once per
// batch rather than once per grain, which is what makes thousands of writes per second cheap.
internal sealed partial class GroupCommitWriter : IAsyncDisposable
{
    private readonly Channel<WriteOp> _queue = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IBatchCommitter _committer;
    private readonly int _maxBatchSize;
    private readonly StorageInstruments _instruments;
    private readonly KeyValuePair<string, object?> _providerTag;
    private readonly ILogger _logger;
    private Task _loop = Task.CompletedTask;

    public GroupCommitWriter(IBatchCommitter committer, int maxBatchSize, StorageInstruments instruments, string provider, ILogger logger)
    {
        _committer = committer;
        _maxBatchSize = maxBatchSize;
        _instruments = instruments;
        _providerTag = new(StorageMetrics.ProviderTag, provider);
        _logger = logger;
    }

    public void Start() => _loop = Task.Run(RunAsync);

    // Queues a write; the task completes after the transaction holding it committed (or failed).
    public Task EnqueueAsync(WriteOp op)
    {
        if (!_queue.Writer.TryWrite(op))
        {
            op.Abort(new InvalidOperationException("The storage writer is stopped (the silo is shutting down); the write was not queued."));
        }

        return op.Completion;
    }

    // Stops taking writes, commits those already queued, and waits for the loop to end.
    public async Task StopAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<WriteOp>(Math.Min(_maxBatchSize, 1024));
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _maxBatchSize && _queue.Reader.TryRead(out var op))
            {
                batch.Add(op);
            }

            await CommitAsync(batch).ConfigureAwait(false);
        }

        Log.WriterStopped(_logger, (string)_providerTag.Value!);
    }

    private async Task CommitAsync(List<WriteOp> batch)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await _committer.CommitAsync(batch, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The transaction did not commit: nothing in it is stored, so every caller fails.
            _instruments.TransactionFailures.Add(1, _providerTag);
            Log.TransactionFailed(_logger, e, (string)_providerTag.Value!, batch.Count);
            foreach (var op in batch)
            {
                op.Abort(e);
            }

            return;
        }

        _instruments.CommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, _providerTag);
        _instruments.Transactions.Add(1, _providerTag);
        _instruments.BatchSize.Record(batch.Count, _providerTag);
        long written = 0, refused = 0;
        foreach (var op in batch)
        {
            if (op is StateWriteOp state)
            {
                if (state.Refused)
                {
                    refused++;
                }
                else
                {
                    written++;
                }
            }

            op.Publish();
        }

        _instruments.StatesWritten.Add(written, _providerTag);
        if (refused > 0)
        {
            _instruments.Conflicts.Add(refused, _providerTag);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _committer.DisposeAsync().ConfigureAwait(false);
    }
}
