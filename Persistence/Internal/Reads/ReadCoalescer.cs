using System.Collections.Concurrent;
using CartRecovery.Persistence.Diagnostics;

namespace CartRecovery.Persistence.Internal.Reads;

// Collects concurrent state reads (a burst of activations) and answers them with as few queries
// as possible: one read in flight at a time; the reads that arrive meanwhile are answered together
// by the next one. A read that finds nothing in flight goes out at once, alone, so a quiet silo
// pays no batching delay. With startInline the first query starts on the
// caller's thread (right for asynchronous drivers, which return at their first I/O); a
// synchronous driver would answer a burst one by one that way, so it starts on the thread pool,
// by which time the rest of the burst has queued behind it.
internal sealed class ReadCoalescer(IStateReader reader, int maxBatchSize, bool startInline, StorageInstruments instruments, string provider)
{
    private readonly ConcurrentQueue<ReadRequest> _waiting = new();
    private readonly KeyValuePair<string, object?> _providerTag = new(StorageMetrics.ProviderTag, provider);
    private int _draining;

    public Task<StoredState?> ReadAsync(StateKey key)
    {
        var request = new ReadRequest(key);
        _waiting.Enqueue(request);
        if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
        {
            _ = DrainAsync();
        }

        return request.Completion;
    }

    private async Task DrainAsync()
    {
        var batch = new List<ReadRequest>();
        var inline = startInline;
        while (true)
        {
            if (!inline)
            {
                // Off the caller's thread: a grain's turn must not run other grains' reads, and
                // reads queued meanwhile join this batch.
                await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
            }

            inline = false;
            batch.Clear();
            while (batch.Count < maxBatchSize && _waiting.TryDequeue(out var request))
            {
                batch.Add(request);
            }

            if (batch.Count == 0)
            {
                Volatile.Write(ref _draining, 0);

                // A read queued after the last dequeue but before the flag was cleared saw the flag
                // set and left the draining to us: take it back, or it would wait forever.
                if (_waiting.IsEmpty || Interlocked.CompareExchange(ref _draining, 1, 0) != 0)
                {
                    return;
                }

                continue;
            }

            await ReadBatchAsync(batch).ConfigureAwait(false);
        }
    }

    private async Task ReadBatchAsync(List<ReadRequest> batch)
    {
        try
        {
            var queries = await reader.ReadAsync(batch, CancellationToken.None).ConfigureAwait(false);
            instruments.ReadQueries.Add(queries, _providerTag);
            instruments.Reads.Add(batch.Count, _providerTag);
        }
        catch (Exception e)
        {
            foreach (var request in batch)
            {
                request.Fail(e);
            }
        }
    }
}
