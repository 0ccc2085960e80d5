namespace CartRecovery.Persistence.Internal.Writes;

// Inserts or replaces a reminder row; the stored version becomes its new ETag.
internal sealed class ReminderUpsertOp(string serviceId, string grainId, string name, DateTime startAtUtc, long periodMs, uint grainHash) : WriteOp
{
    public string ServiceId { get; } = serviceId;

    public string GrainId { get; } = grainId;

    public string Name { get; } = name;

    public DateTime StartAtUtc { get; } = startAtUtc;

    public long PeriodMs { get; } = periodMs;

    public uint GrainHash { get; } = grainHash;

    public long NewVersion { get; set; }

    public override (int Table, string A, string B, string C) Identity => (1, ServiceId, GrainId, Name);

    protected override Exception? RefusalException() => null;
}

// Removes a reminder row if its version still equals the ETag the caller holds.
internal sealed class ReminderDeleteOp(string serviceId, string grainId, string name, long version) : WriteOp
{
    public string ServiceId { get; } = serviceId;

    public string GrainId { get; } = grainId;

    public string Name { get; } = name;

    public long Version { get; } = version;

    // True when the row was found at that version and removed (read after completion).
    public bool Removed => !Refused;

    public override (int Table, string A, string B, string C) Identity => (1, ServiceId, GrainId, Name);

    public void NotFound() => Refused = true;

    protected override Exception? RefusalException() => null;
}
