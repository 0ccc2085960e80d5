using System.Collections.Concurrent;
using CartRecovery.Kafka.Configuration;
using CartRecovery.Kafka.Native;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartRecovery.Kafka.Consuming;

/// <summary>
/// A consumer-group member that hands each assigned partition to an <see cref="IPartitionOwner"/>. Offsets are
/// committed only after the owner stores them (<see cref="StoreOffset"/>), so a record is never marked done before
/// its effect is checkpointed; the price is at-least-once redelivery after a crash.
/// </summary>
public sealed partial class PartitionedConsumer : IAsyncDisposable
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);

    // Resume requests are only seen between polls; while a lane waits for one, poll briefly so it restarts promptly.
    private static readonly TimeSpan PausedPollTimeout = TimeSpan.FromMilliseconds(5);

    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly IPartitionOwner _owner;
    private readonly ILogger _logger;
    private readonly int _maxBatch;
    private readonly int _maxInFlight;
    private readonly ConcurrentDictionary<int, PartitionLane> _lanes = new();
    private readonly ConcurrentQueue<PartitionLane> _resumeRequests = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _startGate = new();

    // Serialises StoreOffset (any thread) against disposal (poll thread): a disposed librdkafka handle must
    // never be touched.
    private readonly Lock _clientGate = new();
    private bool _disposed;
    private volatile int[] _assigned = [];
    private Exception? _fatal;
    private int _pausedLanes;
    private Thread? _pollThread;

    /// <param name="topic">Defaults to <see cref="KafkaOptions.EventsTopic"/>.</param>
    /// <param name="groupId">Defaults to <see cref="KafkaOptions.ConsumerGroup"/>.</param>
    public PartitionedConsumer(
        KafkaOptions options,
        IPartitionOwner owner,
        ILogger<PartitionedConsumer>? logger = null,
        string? topic = null,
        string? groupId = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(owner);
        options.Validate();
        KafkaNative.EnsureLoaded();
        _owner = owner;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _maxBatch = options.MaxBatchSize;
        _maxInFlight = options.MaxInFlightPerPartition;
        Topic = topic ?? options.EventsTopic;
        GroupId = groupId ?? options.ConsumerGroup;
        _consumer = new ConsumerBuilder<byte[]?, byte[]?>(ClientConfigs.Consumer(options, GroupId, "consumer"))
            .SetLogHandler((_, m) => LibrdkafkaLog.Forward(_logger, m))
            .SetErrorHandler((_, e) => LibrdkafkaLog.Forward(_logger, e))
            .SetPartitionsAssignedHandler((_, partitions) => Assign(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => Revoke(partitions.Select(p => p.TopicPartition), lost: false))
            .SetPartitionsLostHandler((_, partitions) => Revoke(partitions.Select(p => p.TopicPartition), lost: true))
            .Build();
    }

    public string Topic { get; }

    public string GroupId { get; }

    /// <summary>Partitions currently owned, ascending (a snapshot; changes on every rebalance).</summary>
    public IReadOnlyList<int> AssignedPartitions => _assigned;

    /// <summary>Completes when the consumer has left the group; faults if an owner callback or the client failed.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Joins the group and starts fetching on a dedicated thread.</summary>
    public void Start()
    {
        lock (_startGate)
        {
            if (_pollThread is not null)
            {
                throw new InvalidOperationException("the consumer was already started");
            }

            _pollThread = new Thread(PollLoop) { IsBackground = true, Name = $"kafka-poll-{Topic}" };
            _pollThread.Start();
        }
    }

    /// <summary>
    /// Marks everything before <paramref name="nextOffset"/> as done for <paramref name="partition"/>; committed in
    /// the background and at revocation. False if the partition is not assigned to this member (any more).
    /// </summary>
    public bool StoreOffset(int partition, long nextOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nextOffset);
        lock (_clientGate)
        {
            if (_disposed)
            {
                return false;
            }

            try
            {
                _consumer.StoreOffset(new TopicPartitionOffset(Topic, partition, nextOffset));
                return true;
            }
            catch (KafkaException e)
            {
                OffsetNotStored(_logger, Topic, partition, nextOffset, e.Error.Reason);
                return false;
            }
        }
    }

    /// <summary>Records received for <paramref name="partition"/> but not yet handled by the owner (0 if not assigned).</summary>
    public int InFlight(int partition) => _lanes.TryGetValue(partition, out var lane) ? lane.InFlight : 0;

    /// <summary>True while fetching for <paramref name="partition"/> is paused because its owner is behind.</summary>
    public bool IsPaused(int partition) => _lanes.TryGetValue(partition, out var lane) && lane.IsPaused;

    /// <summary>
    /// Revokes every partition (the owner flushes), commits stored offsets and leaves the group. Must not be awaited
    /// from inside an owner callback: the revocation waits for those callbacks to return.
    /// </summary>
    public async Task StopAsync()
    {
        _stop.Cancel();
        bool started;
        lock (_startGate)
        {
            started = _pollThread is not null;
            _pollThread ??= new Thread(static () => { });
        }

        if (!started)
        {
            DisposeClient();
            _completion.TrySetResult();
        }

        await Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private void DisposeClient()
    {
        lock (_clientGate)
        {
            _disposed = true;
            _consumer.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
