using System.Runtime.CompilerServices;
using CartRecovery.Persistence.Internal.Writes;

namespace CartRecovery.Persistence.Storage;

// The event journal (IEventJournalStore) of a grain storage: its writes share the states' group commit.
internal sealed partial class RelationalGrainStorage : IEventJournalStore
{
    public async Task AppendAsync(long sequence, byte[] payload, CancellationToken cancellationToken)
    {
        await _user.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await _user.Database.WriteAsync(new JournalAppendOp(sequence, payload)).ConfigureAwait(false);
    }

    public async Task TrimBelowAsync(long sequence, CancellationToken cancellationToken)
    {
        await _user.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await _user.Database.WriteAsync(new JournalTrimOp(sequence)).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<(long Sequence, byte[] Payload)> ReadAsync(long from, long to, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await _user.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var entry in _user.Database.ReadJournalAsync(from, to, cancellationToken).ConfigureAwait(false))
        {
            yield return entry;
        }
    }
}
