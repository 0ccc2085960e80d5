using System.Collections.Concurrent;

namespace CartRecovery.Kafka.Tests.Support;

/// <summary>A totally ordered log of owner callbacks across consumers, to assert what happened before what.</summary>
public sealed class EventLog
{
    private readonly ConcurrentQueue<Entry> _entries = new();
    private long _sequence;

    public IReadOnlyList<Entry> Entries => [.. _entries.OrderBy(e => e.Sequence)];

    public void Add(string owner, string kind, IReadOnlyList<int> partitions) =>
        _entries.Enqueue(new Entry(Interlocked.Increment(ref _sequence), owner, kind, [.. partitions]));

    public sealed record Entry(long Sequence, string Owner, string Kind, int[] Partitions)
    {
        public override string ToString() => $"{Sequence}:{Owner} {Kind} [{string.Join(",", Partitions)}]";
    }
}
