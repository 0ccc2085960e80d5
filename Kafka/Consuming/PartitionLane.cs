using System.Threading.Channels;

namespace CartRecovery.Kafka.Consuming;

/// <summary>
/// The in-flight queue and handler loop of one assigned partition for one assignment generation. The poll thread
/// writes, a single worker task reads, and the in-flight count drives pause/resume.
/// </summary>
internal sealed class PartitionLane
{
    private readonly Channel<ConsumedMessage> _queue =
        Channel.CreateUnbounded<ConsumedMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    private readonly IPartitionOwner _owner;
    private readonly int _maxBatch;
    private readonly int _resumeAt;
    private readonly Action<PartitionLane> _drained;
    private int _inFlight;
    private int _paused;
    private volatile bool _closed;

    public PartitionLane(int partition, IPartitionOwner owner, int maxBatch, int resumeAt, Action<PartitionLane> drained)
    {
        Partition = partition;
        _owner = owner;
        _maxBatch = maxBatch;
        _resumeAt = resumeAt;
        _drained = drained;
        Worker = Task.Run(RunAsync);
    }

    public int Partition { get; }

    public Task Worker { get; }

    public int InFlight => Volatile.Read(ref _inFlight);

    public bool IsPaused => Volatile.Read(ref _paused) != 0;

    public bool CanResume => InFlight <= _resumeAt;

    public void Enqueue(ConsumedMessage message)
    {
        Interlocked.Increment(ref _inFlight);
        _queue.Writer.TryWrite(message);
    }

    /// <summary>Poll thread only. True if this call flipped the lane to paused.</summary>
    public bool MarkPaused() => Interlocked.Exchange(ref _paused, 1) == 0;

    /// <summary>Poll thread only. True if this call flipped the lane back to running.</summary>
    public bool MarkResumed() => Interlocked.Exchange(ref _paused, 0) == 1;

    /// <summary>
    /// Stops delivery: a handler call already running finishes, queued records are dropped (they were never
    /// handled, so their offsets were never stored and the next owner refetches them).
    /// </summary>
    public Task CloseAsync()
    {
        _closed = true;
        _queue.Writer.TryComplete();
        return Worker;
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<ConsumedMessage>(_maxBatch);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _maxBatch && reader.TryRead(out var message))
            {
                batch.Add(message);
            }

            if (_closed)
            {
                return;
            }

            await _owner.OnMessagesAsync(Partition, batch.ToArray()).ConfigureAwait(false);
            var left = Interlocked.Add(ref _inFlight, -batch.Count);
            batch.Clear();

            // Interlocked above is a full fence, so either we see the pause flag here or the poll thread, which sets
            // the flag before re-reading the count, sees our decrement: a paused lane cannot be forgotten.
            if (left <= _resumeAt && IsPaused)
            {
                _drained(this);
            }
        }
    }
}
