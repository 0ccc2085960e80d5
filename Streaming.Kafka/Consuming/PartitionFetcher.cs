using System.Collections.Concurrent;
using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Native;
using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Streaming.Kafka.Consuming;

/// <summary>
/// The one librdkafka consumer of a silo for a topic: it fetches every partition this silo's pulling agents own into
/// their <see cref="PartitionBuffer"/>s and commits their offsets. Partitions are assigned by hand (the group never
/// joins, so Kafka never rebalances anything: Orleans' queue balancer decides), starting from the group's committed
/// offset. Every client call runs on the poll thread. Once a second it also notes each partition's high watermark in
/// its buffer (for the lag gauge): librdkafka's cached value from the last fetch response, or, for a paused partition
/// (which fetches nothing) or one not fetched yet, the broker's answer, asked at most every few seconds.
/// </summary>
internal sealed partial class PartitionFetcher : IDisposable
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan WatermarkRefresh = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan BrokerQueryInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan BrokerQueryTimeout = TimeSpan.FromSeconds(2);

    private readonly KafkaStreamOptions _options;
    private readonly ILogger _logger;
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly ConcurrentQueue<Action> _commands = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<int, PartitionBuffer> _buffers = [];
    private readonly Dictionary<int, long> _toCommit = [];
    private readonly Lock _startGate = new();
    private readonly TimeSpan _commitInterval;
    private Thread? _thread;
    private DateTime _nextCommit;
    private DateTime _nextWatermarks;
    private DateTime _nextStartQuery;

    public PartitionFetcher(KafkaStreamOptions options, ILogger logger)
    {
        KafkaNative.EnsureLoaded();
        _options = options;
        _logger = logger;
        _commitInterval = TimeSpan.FromMilliseconds(options.CommitIntervalMs);
        _consumer = new ConsumerBuilder<byte[]?, byte[]?>(ClientConfigs.Consumer(options, "streams"))
            .SetLogHandler((_, m) => LibrdkafkaLog.Forward(_logger, m))
            .SetErrorHandler((_, e) => LibrdkafkaLog.Forward(_logger, e))
            .Build();
    }

    public string Topic => _options.EventsTopic;

    /// <summary>Starts fetching <paramref name="partition"/> from the group's committed offset (or the reset policy).</summary>
    public Task<PartitionBuffer> AssignAsync(int partition) => Run(() =>
    {
        var tp = new TopicPartition(Topic, partition);
        var buffer = new PartitionBuffer(partition, _options.MaxBufferedPerPartition);
        _buffers[partition] = buffer;
        _consumer.IncrementalAssign([new TopicPartitionOffset(tp, Offset.Unset)]);
        // A partition paused under an earlier assignment would otherwise stay paused.
        _consumer.Resume([tp]);
        Assigned(_logger, Topic, partition);
        return buffer;
    });

    /// <summary>Asks for <paramref name="nextOffset"/> to be committed with the next periodic commit.</summary>
    public void Commit(int partition, long nextOffset) => _commands.Enqueue(() =>
    {
        if (_buffers.ContainsKey(partition) && (!_toCommit.TryGetValue(partition, out var pending) || pending < nextOffset))
        {
            _toCommit[partition] = nextOffset;
        }
    });

    /// <summary>
    /// Stops fetching <paramref name="partition"/> after committing <paramref name="finalOffset"/> synchronously, so the
    /// next reader starts exactly there. Returns false if that commit failed (the next reader then replays more).
    /// </summary>
    public Task<bool> ReleaseAsync(PartitionBuffer buffer, long? finalOffset) => Run(() =>
    {
        var partition = buffer.Partition;
        if (!_buffers.TryGetValue(partition, out var current) || !ReferenceEquals(current, buffer))
        {
            return false;
        }

        _toCommit.Remove(partition);
        var committed = finalOffset is not { } offset || CommitNow([new TopicPartitionOffset(Topic, partition, offset)]);
        _buffers.Remove(partition);
        try
        {
            _consumer.IncrementalUnassign([new TopicPartition(Topic, partition)]);
        }
        catch (KafkaException e)
        {
            ClientCallFailed(_logger, "unassign", Topic, partition, e.Error.Reason);
        }

        Released(_logger, Topic, partition, finalOffset ?? -1, committed);
        return committed;
    });

    /// <summary>Fetching for a paused partition may go on.</summary>
    public void Resume(PartitionBuffer buffer) => _commands.Enqueue(() =>
    {
        if (_buffers.TryGetValue(buffer.Partition, out var current) && ReferenceEquals(current, buffer))
        {
            _consumer.Resume([new TopicPartition(Topic, buffer.Partition)]);
        }

        buffer.Resumed();
    });

    /// <summary>The group's committed offset of a partition (null when none), read from the broker.</summary>
    public Task<long?> CommittedAsync(int partition) => Run<long?>(() =>
    {
        var committed = _consumer.Committed([new TopicPartition(Topic, partition)], TimeSpan.FromSeconds(10)).Single();
        return committed.Offset.IsSpecial ? null : committed.Offset.Value;
    });

    private Task<T> Run<T>(Func<T> command)
    {
        EnsureStarted();
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _commands.Enqueue(() =>
        {
            try
            {
                done.TrySetResult(command());
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        });
        if (_stop.IsCancellationRequested)
        {
            done.TrySetException(new ObjectDisposedException(nameof(PartitionFetcher)));
        }

        return done.Task;
    }

    private void EnsureStarted()
    {
        lock (_startGate)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            if (_thread is null)
            {
                _thread = new Thread(PollLoop) { IsBackground = true, Name = $"kafka-fetch-{Topic}" };
                _thread.Start();
            }
        }
    }

    private void PollLoop()
    {
        _nextCommit = DateTime.UtcNow + _commitInterval;
        while (!_stop.IsCancellationRequested)
        {
            while (_commands.TryDequeue(out var command))
            {
                command();
            }

            if (DateTime.UtcNow >= _nextCommit)
            {
                _nextCommit = DateTime.UtcNow + _commitInterval;
                CommitPending();
            }

            if (DateTime.UtcNow >= _nextWatermarks)
            {
                _nextWatermarks = DateTime.UtcNow + WatermarkRefresh;
                RefreshWatermarks();
            }

            if (_buffers.Count == 0)
            {
                Thread.Sleep(PollTimeout);
                continue;
            }

            ConsumeResult<byte[]?, byte[]?>? result;
            try
            {
                result = _consumer.Consume(PollTimeout);
            }
            catch (ConsumeException e)
            {
                ConsumeFailed(_logger, Topic, e.Error.Code, e.Error.Reason);
                continue;
            }

            // A record of a partition released since it was fetched is the next reader's to read.
            if (result is { IsPartitionEOF: false } && _buffers.TryGetValue(result.Partition.Value, out var buffer) && buffer.Add(result))
            {
                _consumer.Pause([result.TopicPartition]);
                Paused(_logger, Topic, buffer.Partition, buffer.Count);
            }
        }

        // Whatever is still pending goes out before the client closes (a graceful stop releases partitions first).
        CommitPending();
        while (_commands.TryDequeue(out var command))
        {
            command();
        }
    }

    /// <summary>Notes each assigned partition's high watermark, and where reading starts for those that fetched nothing yet.</summary>
    private void RefreshWatermarks()
    {
        var now = DateTime.UtcNow;
        List<TopicPartition>? startUnknown = null;
        foreach (var buffer in _buffers.Values)
        {
            var tp = new TopicPartition(Topic, buffer.Partition);
            var high = -1L;
            try
            {
                // Updated by every fetch response; a paused partition fetches nothing, so its value would stand still.
                if (!buffer.IsPaused && _consumer.GetWatermarkOffsets(tp) is { High.IsSpecial: false } cached)
                {
                    high = cached.High.Value;
                }

                if (high < 0 && now >= buffer.NextWatermarkQuery)
                {
                    buffer.NextWatermarkQuery = now + BrokerQueryInterval;
                    high = _consumer.QueryWatermarkOffsets(tp, BrokerQueryTimeout).High.Value;
                }
            }
            catch (KafkaException e)
            {
                WatermarkFailed(_logger, Topic, buffer.Partition, e.Error.Reason);
            }

            if (high >= 0)
            {
                buffer.SetHighWatermark(high);
            }

            if (buffer.FirstFetched < 0 && buffer.StartOffset < 0)
            {
                (startUnknown ??= []).Add(tp);
            }
        }

        if (startUnknown is not null && now >= _nextStartQuery)
        {
            _nextStartQuery = now + BrokerQueryInterval;
            ResolveStartOffsets(startUnknown);
        }
    }

    /// <summary>The group's committed offsets of partitions that fetched nothing yet, else where the reset policy starts them.</summary>
    private void ResolveStartOffsets(List<TopicPartition> partitions)
    {
        try
        {
            foreach (var committed in _consumer.Committed(partitions, BrokerQueryTimeout))
            {
                if (!_buffers.TryGetValue(committed.Partition.Value, out var buffer))
                {
                    continue;
                }

                if (!committed.Offset.IsSpecial)
                {
                    buffer.SetStartOffset(committed.Offset.Value);
                    continue;
                }

                var watermarks = _consumer.QueryWatermarkOffsets(committed.TopicPartition, BrokerQueryTimeout);
                buffer.SetStartOffset(_options.AutoOffsetReset == "latest" ? watermarks.High.Value : watermarks.Low.Value);
            }
        }
        catch (KafkaException e)
        {
            WatermarkFailed(_logger, Topic, partitions[0].Partition.Value, e.Error.Reason);
        }
    }

    private void CommitPending()
    {
        if (_toCommit.Count == 0)
        {
            return;
        }

        var offsets = _toCommit.Select(p => new TopicPartitionOffset(Topic, p.Key, p.Value)).ToList();
        if (CommitNow(offsets))
        {
            _toCommit.Clear();
        }
    }

    private bool CommitNow(List<TopicPartitionOffset> offsets)
    {
        try
        {
            _consumer.Commit(offsets);
            return true;
        }
        catch (KafkaException e)
        {
            CommitFailed(_logger, Topic, string.Join(",", offsets.Select(o => $"{o.Partition.Value}@{o.Offset.Value}")), e.Error.Code, e.Error.Reason);
            return false;
        }
    }

    public void Dispose()
    {
        lock (_startGate)
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            _stop.Cancel();
        }

        _thread?.Join();
        try
        {
            _consumer.Close();
        }
        catch (KafkaException)
        {
            // Nothing to leave: the group was never joined.
        }

        _consumer.Dispose();
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "{Topic}[{Partition}] assigned to this silo; fetching from the committed offset")]
    private static partial void Assigned(ILogger logger, string topic, int partition);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "{Topic}[{Partition}] released at offset {Offset} (committed: {Committed})")]
    private static partial void Released(ILogger logger, string topic, int partition, long offset, bool committed);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Debug, Message = "{Topic}[{Partition}] paused with {Buffered} records buffered")]
    private static partial void Paused(ILogger logger, string topic, int partition, int buffered);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "{Topic}: consume failed with {Code}: {Reason}")]
    private static partial void ConsumeFailed(ILogger logger, string topic, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "{Topic}: commit of {Offsets} failed with {Code}: {Reason}; retried with the next commit")]
    private static partial void CommitFailed(ILogger logger, string topic, string offsets, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Debug, Message = "{Topic}[{Partition}]: watermark or committed offset not read ({Reason}); the lag gauge keeps its last value")]
    private static partial void WatermarkFailed(ILogger logger, string topic, int partition, string reason);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Warning, Message = "Kafka {Call} of {Topic}[{Partition}] failed: {Reason}")]
    private static partial void ClientCallFailed(ILogger logger, string call, string topic, int partition, string reason);
}
