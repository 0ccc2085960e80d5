namespace CartRecovery.Persistence;

/// <summary>
/// An append-only journal of opaque entries kept next to the grain states, numbered by the caller.
/// Appends and trims go through the storage's group commit with the state writes, so an entry
/// costs no transaction of its own. It makes write-behind state safe: a batch of events is journaled
/// before it is acknowledged, the states it changed are written later, the entries whose states
/// are all written are trimmed, and the entries a crash left behind are replayed at the next start.
/// Implemented by every grain storage of this library, as a keyed service under its storage name.
/// </summary>
public interface IEventJournalStore
{
    /// <summary>Stores one entry; completes once its transaction committed.</summary>
    Task AppendAsync(long sequence, byte[] payload, CancellationToken cancellationToken);

    /// <summary>Removes every entry numbered below <paramref name="sequence"/>; completes once committed.</summary>
    Task TrimBelowAsync(long sequence, CancellationToken cancellationToken);

    /// <summary>The entries numbered from <paramref name="from"/> to <paramref name="to"/> (both included), in order.</summary>
    IAsyncEnumerable<(long Sequence, byte[] Payload)> ReadAsync(long from, long to, CancellationToken cancellationToken);
}
