using CartRecovery.Persistence.Diagnostics;
using CartRecovery.Persistence.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans;

namespace CartRecovery.Persistence.Tests.Storage;

// The event journal next to the states: appends and trims in the group commit, reads in order.
public abstract partial class GrainStorageContractTests
{
    private IEventJournalStore Journal => _host.Services.GetRequiredKeyedService<IEventJournalStore>(StorageHost.StorageName);

    [Fact]
    public async Task JournalEntriesReadBackInOrderAndATrimRemovesOnlyThoseBelowItsBound()
    {
        var payloads = Enumerable.Range(1, 6).ToDictionary(i => (long)i * 10, i => Enumerable.Range(0, 300 * i).Select(b => (byte)(b * i)).ToArray());

        // Out of order and concurrently with state writes: the entries share their transactions.
        var transactions = _host.Meters.Sum(StorageMetrics.TransactionsCommitted);
        await Task.WhenAll(payloads.Reverse().Select(p => Journal.AppendAsync(p.Key, p.Value, CancellationToken.None))
            .Concat(Enumerable.Range(0, 50).Select(i => Storage.WriteStateAsync("counter", Id($"j{i}"), new GrainState<Counter>(new Counter { Value = i })))));
        Assert.InRange(_host.Meters.Sum(StorageMetrics.TransactionsCommitted) - transactions, 1, 20);

        var all = await ReadJournalAsync(0, long.MaxValue);
        Assert.Equal(payloads.Keys.Order(), all.Select(e => e.Sequence));
        Assert.All(all, e => Assert.Equal(payloads[e.Sequence], e.Payload));
        Assert.Equal([20L, 30L, 40L], (await ReadJournalAsync(15, 40)).Select(e => e.Sequence));

        await Journal.TrimBelowAsync(40, CancellationToken.None);
        Assert.Equal([40L, 50L, 60L], (await ReadJournalAsync(0, long.MaxValue)).Select(e => e.Sequence));

        // A bound at or below the oldest entry removes nothing; an entry appended and trimmed in one go is gone.
        await Journal.TrimBelowAsync(40, CancellationToken.None);
        await Task.WhenAll(Journal.AppendAsync(70, [7], CancellationToken.None), Journal.TrimBelowAsync(71, CancellationToken.None));
        Assert.Empty(await ReadJournalAsync(0, long.MaxValue));
    }

    [Fact]
    public async Task AJournalEntryNumberIsNeverStoredTwice()
    {
        await Journal.AppendAsync(5, [1], CancellationToken.None);

        await Assert.ThrowsAnyAsync<Exception>(() => Journal.AppendAsync(5, [2], CancellationToken.None));

        var entry = Assert.Single(await ReadJournalAsync(0, 10));
        Assert.Equal([(byte)1], entry.Payload);
    }

    private async Task<List<(long Sequence, byte[] Payload)>> ReadJournalAsync(long from, long to)
    {
        var entries = new List<(long, byte[])>();
        await foreach (var entry in Journal.ReadAsync(from, to, CancellationToken.None))
        {
            entries.Add(entry);
        }

        return entries;
    }
}
