namespace CartRecovery.Streaming.Kafka.Consuming;

/// <summary>
/// The commit rule of one partition: everything below the watermark is done (delivered to every consumer, or
/// acknowledged on the dead-letter topic). Records finish in any order; offsets may have gaps (compaction,
/// transaction markers), so the watermark is the oldest unfinished record, or just past the last one read.
/// </summary>
internal sealed class OffsetTracker
{
    private readonly SortedSet<long> _open = [];
    private long? _next;

    /// <summary>Offset to commit: everything before it is done. Null until a record was read.</summary>
    public long? Watermark => _open.Count > 0 ? _open.Min : _next;

    /// <summary>Records read and not yet done.</summary>
    public int Open => _open.Count;

    public void Read(long offset)
    {
        _open.Add(offset);
        if (_next is null || offset >= _next)
        {
            _next = offset + 1;
        }
    }

    public void Done(long offset) => _open.Remove(offset);
}
