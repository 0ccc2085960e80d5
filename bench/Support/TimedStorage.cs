using System.Diagnostics;
using CartRecovery.Runtime.Storage;

namespace CartRecovery.Bench.Support;

/// <summary>
/// A pass-through <see cref="IGrainStorage"/> that counts and times reads and checkpoint writes
/// (calls, states, JSON bytes, wall time), to show how much of ingestion is storage. Costs a
/// timestamp and a few interlocked adds per call.
/// </summary>
internal sealed class TimedStorage(IGrainStorage inner) : IGrainStorage
{
    public long Reads;
    public long ReadTicks;
    public long ReadsFound;
    public long Checkpoints;
    public long Transactions;
    public long CheckpointTicks;
    public long StatesWritten;
    public long JsonBytesWritten;
    public long RemindersWritten;

    public sealed record Snapshot(long Reads, double ReadMs, long ReadsFound, long Checkpoints, double CheckpointMs, long States, long JsonBytes, long Reminders)
    {
        public Snapshot Minus(Snapshot b) => new(Reads - b.Reads, ReadMs - b.ReadMs, ReadsFound - b.ReadsFound, Checkpoints - b.Checkpoints,
            CheckpointMs - b.CheckpointMs, States - b.States, JsonBytes - b.JsonBytes, Reminders - b.Reminders);
    }

    public Snapshot Take() => new(Interlocked.Read(ref Reads), Interlocked.Read(ref ReadTicks) * 1000.0 / Stopwatch.Frequency, Interlocked.Read(ref ReadsFound),
        Interlocked.Read(ref Checkpoints), Interlocked.Read(ref CheckpointTicks) * 1000.0 / Stopwatch.Frequency,
        Interlocked.Read(ref StatesWritten), Interlocked.Read(ref JsonBytesWritten), Interlocked.Read(ref RemindersWritten));

    public string ProviderName => inner.ProviderName;

    public async Task<StoredState?> ReadAsync(string grainType, string grainKey, string stateName, CancellationToken cancellationToken)
    {
        var t = Stopwatch.GetTimestamp();
        var result = await inner.ReadAsync(grainType, grainKey, stateName, cancellationToken);
        Interlocked.Add(ref ReadTicks, Stopwatch.GetTimestamp() - t);
        Interlocked.Increment(ref Reads);
        if (result is not null)
        {
            Interlocked.Increment(ref ReadsFound);
        }

        return result;
    }

    public async Task<StoredState?[]> ReadManyAsync(IReadOnlyList<StateKey> keys, CancellationToken cancellationToken)
    {
        var t = Stopwatch.GetTimestamp();
        var result = await inner.ReadManyAsync(keys, cancellationToken);
        Interlocked.Add(ref ReadTicks, Stopwatch.GetTimestamp() - t);
        Interlocked.Add(ref Reads, keys.Count);
        Interlocked.Add(ref ReadsFound, result.Count(r => r is not null));
        return result;
    }

    public async Task<long[]> WriteCheckpointAsync(Checkpoint checkpoint, CancellationToken cancellationToken) =>
        (await WriteCheckpointsAsync([checkpoint], cancellationToken))[0];

    /// <summary>Counts each partition's checkpoint as one, whether it was written alone or with others.</summary>
    public async Task<long[][]> WriteCheckpointsAsync(IReadOnlyList<Checkpoint> checkpoints, CancellationToken cancellationToken)
    {
        var t = Stopwatch.GetTimestamp();
        var result = await inner.WriteCheckpointsAsync(checkpoints, cancellationToken);
        Interlocked.Add(ref CheckpointTicks, Stopwatch.GetTimestamp() - t);
        Interlocked.Increment(ref Transactions);
        foreach (var checkpoint in checkpoints)
        {
            Interlocked.Increment(ref Checkpoints);
            Interlocked.Add(ref StatesWritten, checkpoint.States.Count);
            Interlocked.Add(ref RemindersWritten, checkpoint.Reminders.Count);
            long bytes = 0;
            foreach (var s in checkpoint.States)
            {
                bytes += s.Utf8Json?.Length ?? 0;
            }

            Interlocked.Add(ref JsonBytesWritten, bytes);
        }

        return result;
    }

    public Task MigrateAsync(CancellationToken cancellationToken) => inner.MigrateAsync(cancellationToken);

    public Task<int> SchemaVersionAsync(CancellationToken cancellationToken) => inner.SchemaVersionAsync(cancellationToken);

    public Task<PartitionLease> AcquirePartitionAsync(int partition, string owner, CancellationToken cancellationToken) => inner.AcquirePartitionAsync(partition, owner, cancellationToken);

    public Task ReleasePartitionAsync(PartitionFence fence, CancellationToken cancellationToken) => inner.ReleasePartitionAsync(fence, cancellationToken);

    public Task<IReadOnlyList<PartitionRow>> ListPartitionsAsync(CancellationToken cancellationToken) => inner.ListPartitionsAsync(cancellationToken);

    public Task<IReadOnlyList<ReminderRow>> LoadRemindersAsync(int partition, CancellationToken cancellationToken) => inner.LoadRemindersAsync(partition, cancellationToken);

    public IAsyncEnumerable<(string GrainKey, string Json)> ScanAsync(string grainType, string stateName, CancellationToken cancellationToken) => inner.ScanAsync(grainType, stateName, cancellationToken);

    public Task<IReadOnlyList<string>> FindKeysAsync(string grainType, string suffix, CancellationToken cancellationToken) => inner.FindKeysAsync(grainType, suffix, cancellationToken);

    public Task UpsertSiloAsync(SiloRow silo, CancellationToken cancellationToken) => inner.UpsertSiloAsync(silo, cancellationToken);

    public Task RemoveSiloAsync(string siloId, CancellationToken cancellationToken) => inner.RemoveSiloAsync(siloId, cancellationToken);

    public Task<IReadOnlyList<SiloRow>> ListSilosAsync(CancellationToken cancellationToken) => inner.ListSilosAsync(cancellationToken);

    public Task<bool> PingAsync(CancellationToken cancellationToken) => inner.PingAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
