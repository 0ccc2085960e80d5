namespace CartRecovery.Streaming.Kafka.Consuming;

/// <summary>
/// The commit rule of one partition: everything below the watermark is done (delivered to every consumer, or
/// acknowledged on the dead-letter topic). Records finish in any order; offsets may have gaps (compaction,
/// transaction markers), so the watermark is the oldest unfinished record, or just past the last one read.
/// One thread changes it (the partition's receiver); <see cref="Published"/> may be read from any thread.
/// </summary>
internal sealed class OffsetTracker
{
    private readonly SortedSet<long> _open = [];
    private long? _next;
    private long _published = -1;

    /// <summary>Offset to commit: everything before it is done. Null until a record was read.</summary>
    public long? Watermark => _open.Count > 0 ? _open.Min : _next;

    /// <summary>Records read and not yet done.</summary>
    public int Open => _open.Count;

    /// <summary><see cref="Watermark"/> as of the last change, for readers on other threads (lag); -1 until a record was read.</summary>
    public long Published => Volatile.Read(ref _published);

    public void Read(long offset)
    {
        _open.Add(offset);
        if (_next is null || offset >= _next)
        {
            _next = offset + 1;
        }

        Publish();
    }

    public void Done(long offset)
    {
        if (_open.Remove(offset))
        {
            Publish();
        }
    }

    private void Publish() => Volatile.Write(ref _published, Watermark ?? -1);
}
