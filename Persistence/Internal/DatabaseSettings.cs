namespace CartRecovery.Persistence.Internal;

// What identifies one database and its writer: providers with equal settings share both.
internal sealed record DatabaseSettings(string Provider, string ConnectionString, int MaxBatchSize, string SqliteSynchronous);

// Which reminder rows to read: of one grain (optionally one name), or of a hash range.
internal readonly record struct ReminderQuery(string ServiceId, string? GrainId = null, string? Name = null, uint Begin = 0, uint End = 0);
