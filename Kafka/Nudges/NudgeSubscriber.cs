using CartRecovery.Kafka.Configuration;
using CartRecovery.Kafka.Consuming;
using CartRecovery.Kafka.Native;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartRecovery.Kafka.Nudges;

/// <summary>
/// Reads every partition of the nudges topic from its current end, without a consumer group: each gateway must see
/// every nudge (it forwards those for its own connections), so there is nothing to share out or to commit.
/// </summary>
public sealed partial class NudgeSubscriber : IAsyncDisposable
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan BrokerTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MetadataRetry = TimeSpan.FromMilliseconds(500);

    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly Func<ConsumedMessage, Task> _handler;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;

    /// <param name="handler">Called for each nudge, one at a time; exceptions are logged and the nudge skipped.</param>
    public NudgeSubscriber(KafkaOptions options, Func<ConsumedMessage, Task> handler, ILogger<NudgeSubscriber>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        options.Validate();
        KafkaNative.EnsureLoaded();
        _handler = handler;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        Topic = options.NudgesTopic;

        // Confluent.Kafka insists on a group id even for manual assignment; a unique one that never commits
        // leaves no state on the broker.
        var config = ClientConfigs.Consumer(options, $"{options.ClientId}-nudges-{Guid.NewGuid():N}", "nudges");
        config.EnableAutoCommit = false;
        config.AutoOffsetReset = AutoOffsetReset.Latest;
        _consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetLogHandler((_, m) => LibrdkafkaLog.Forward(_logger, m))
            .SetErrorHandler((_, e) => LibrdkafkaLog.Forward(_logger, e))
            .Build();
    }

    public string Topic { get; }

    /// <summary>Partitions being read (all of the topic's partitions once started).</summary>
    public IReadOnlyList<int> Partitions { get; private set; } = [];

    /// <summary>Completes when the read loop ended (after <see cref="StopAsync"/>).</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Positions on the end of every partition and starts reading. Once this completes, every nudge published
    /// afterwards is delivered. Waits (retrying) while the topic does not exist yet.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("the subscriber was already started");
        }

        List<TopicPartitionOffset> positions;
        try
        {
            positions = await Task.Run(() => FindEnds(cancellationToken), cancellationToken).ConfigureAwait(false);
            _consumer.Assign(positions);
        }
        catch
        {
            _consumer.Dispose();
            _completion.TrySetResult();
            throw;
        }

        Partitions = [.. positions.Select(p => p.Partition.Value)];
        Subscribed(_logger, Topic, Partitions.Count);
        new Thread(ReadLoop) { IsBackground = true, Name = $"kafka-nudges-{Topic}" }.Start();
    }

    public async Task StopAsync()
    {
        _stop.Cancel();
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _consumer.Dispose();
            _completion.TrySetResult();
        }

        await Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    // Explicit high watermarks rather than Offset.End: End is resolved lazily when fetching begins, so a nudge
    // published right after start could fall before it and be skipped.
    private List<TopicPartitionOffset> FindEnds(CancellationToken cancellationToken)
    {
        using var admin = new DependentAdminClientBuilder(_consumer.Handle).Build();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var topic = admin.GetMetadata(Topic, BrokerTimeout).Topics.SingleOrDefault(t => t.Topic == Topic);
            if (topic is { Error.IsError: false, Partitions.Count: > 0 })
            {
                return [.. topic.Partitions
                    .Select(p => new TopicPartition(Topic, p.PartitionId))
                    .Select(tp => new TopicPartitionOffset(tp, _consumer.QueryWatermarkOffsets(tp, BrokerTimeout).High))];
            }

            TopicNotReady(_logger, Topic, topic?.Error.Reason ?? "no metadata");
            cancellationToken.WaitHandle.WaitOne(MetadataRetry);
        }
    }

    private void ReadLoop()
    {
        Exception? failure = null;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                ConsumeResult<byte[]?, byte[]?>? result;
                try
                {
                    result = _consumer.Consume(PollTimeout);
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    ConsumeFailed(_logger, Topic, e.Error.Code, e.Error.Reason);
                    continue;
                }

                if (result is null || result.IsPartitionEOF)
                {
                    continue;
                }

                var nudge = ConsumedMessages.From(result);
                try
                {
                    _handler(nudge).GetAwaiter().GetResult();
                }
                catch (Exception e)
                {
                    // One nudge that cannot be delivered must not stop the gateway from delivering the rest.
                    HandlerFailed(_logger, Topic, nudge.Partition, nudge.Offset, e);
                }
            }

            _consumer.Close();
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            _consumer.Dispose();
            if (failure is null)
            {
                _completion.TrySetResult();
            }
            else
            {
                _completion.TrySetException(failure);
            }
        }
    }

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Reading nudges from {Topic}: {Count} partitions from their end")]
    private static partial void Subscribed(ILogger logger, string topic, int count);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Nudge topic {Topic} not ready: {Reason}; retrying")]
    private static partial void TopicNotReady(ILogger logger, string topic, string reason);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "{Topic}: consume failed with {Code}: {Reason}")]
    private static partial void ConsumeFailed(ILogger logger, string topic, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Error, Message = "Nudge handler failed for {Topic}[{Partition}]@{Offset}")]
    private static partial void HandlerFailed(ILogger logger, string topic, int partition, long offset, Exception error);
}
