namespace CartRecovery.Persistence.Internal;

// Names one stored state: grain type, grain key and state name (the table's primary key).
internal readonly record struct StateKey(string GrainType, string GrainKey, string StateName)
{
    public override string ToString() => $"state '{StateName}' of grain {GrainType}/{GrainKey}";
}

// A stored state as read: its JSON text and version (the ETag).
internal sealed record StoredState(string Json, long Version);

// A reminder row as stored.
internal sealed record ReminderRow(string GrainId, string Name, DateTime StartAt, long PeriodMs, long Version);
