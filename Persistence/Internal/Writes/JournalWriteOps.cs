using System.Globalization;

namespace CartRecovery.Persistence.Internal.Writes;

// Adds one journal entry. Never refused: the caller numbers entries and never reuses a number.
internal sealed class JournalAppendOp(long sequence, byte[] payload) : WriteOp
{
    public long Sequence { get; } = sequence;

    public byte[] Payload { get; } = payload;

    public override (int Table, string A, string B, string C) Identity => (2, Sequence.ToString("D19", CultureInfo.InvariantCulture), "", "");

    protected override Exception? RefusalException() => null;
}

// Removes the journal entries numbered below a bound. Runs after the appends of its transaction
// (a higher table number), so an entry appended and released within one batch is removed too.
internal sealed class JournalTrimOp(long below) : WriteOp
{
    public long Below { get; } = below;

    public override (int Table, string A, string B, string C) Identity => (3, "", "", "");

    protected override Exception? RefusalException() => null;
}
