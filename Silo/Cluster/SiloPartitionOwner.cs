using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using CartRecovery.Gateway.Dashboard;
using CartRecovery.Grains.Diagnostics;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Scoring;
using CartRecovery.Kafka.Admin;
using CartRecovery.Kafka.Configuration;
using CartRecovery.Kafka.Consuming;
using CartRecovery.Kafka.DeadLetters;
using CartRecovery.Runtime;

namespace CartRecovery.Silo.Cluster;

/// <summary>
/// Bridges Kafka's consumer group to the runtime: an assigned partition is acquired (its epoch
/// bumped, reminders loaded) and consumption resumes after the offset its last checkpoint
/// recorded; events are applied in offset order; a checkpoint stores the offset it covers; a
/// revoked partition is checkpointed and released before it moves. Invalid records go to the
/// dead-letter topic and never stall the partition.
/// </summary>
internal sealed partial class SiloPartitionOwner : BackgroundService, IPartitionOwner, IDashboardExtras, Gateway.Metrics.IMeterSource
{
    private readonly GrainRuntime _runtime;
    private readonly EventPipeline _pipeline;
    private readonly EventValidator _validator;
    private readonly DomainMetrics _metrics;
    private readonly KafkaOptions _options;
    private readonly DeadLetterPublisher _deadLetters;
    private readonly ILogger<SiloPartitionOwner> _log;
    private readonly PartitionedConsumer _consumer;
    private readonly ScorerProvider _scorer;
    private readonly ConcurrentDictionary<int, long> _endOffsets = new();
    private readonly Meter _meter = new("CartRecovery.Kafka");

    public SiloPartitionOwner(GrainRuntime runtime, EventPipeline pipeline, EventValidator validator, DomainMetrics metrics, KafkaOptions options,
        ScorerProvider scorer, ILoggerFactory logs)
    {
        _runtime = runtime;
        _pipeline = pipeline;
        _validator = validator;
        _metrics = metrics;
        _options = options;
        _scorer = scorer;
        _log = logs.CreateLogger<SiloPartitionOwner>();
        _deadLetters = new DeadLetterPublisher(options, logs.CreateLogger<DeadLetterPublisher>());
        _consumer = new PartitionedConsumer(options, this, logs.CreateLogger<PartitionedConsumer>());
        _runtime.Checkpointed += OnCheckpointed;
        _meter.CreateObservableGauge("kafka_consumer_lag", ObserveLag, description: "Records in cart-events not yet checkpointed, by partition");
    }

    public bool Joined { get; private set; }

    public Meter Meter => _meter;

    public long? KafkaLag => _endOffsets.IsEmpty ? null : ObserveLag().Sum(m => m.Value);

    private IEnumerable<Measurement<long>> ObserveLag()
    {
        foreach (var p in _runtime.OwnedPartitions)
        {
            if (_endOffsets.TryGetValue(p, out var end))
            {
                var done = _runtime.CheckpointedOffset(p) is { } o ? o + 1 : 0;
                yield return new Measurement<long>(Math.Max(0, end - done), new KeyValuePair<string, object?>("partition", p));
            }
        }
    }

    private void OnCheckpointed(int partition, long? watermark)
    {
        if (watermark is { } offset)
        {
            _consumer.StoreOffset(partition, offset + 1);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _consumer.Start();
        Joined = true;

        // End offsets feed the lag gauge and the dashboard; a cheap metadata call every few seconds.
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        do
        {
            try
            {
                foreach (var (p, end) in await Task.Run(() => KafkaTopics.GetEndOffsets(_options, _options.EventsTopic, TimeSpan.FromSeconds(3)), stoppingToken))
                {
                    _endOffsets[p] = end;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogLagFailed(_log, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Leaving the group revokes every partition: each is checkpointed and its offset committed.
        await _consumer.StopAsync();
        await base.StopAsync(cancellationToken);
        _deadLetters.Dispose();
    }

    public async Task<IReadOnlyDictionary<int, long>?> OnAssignedAsync(IReadOnlyList<int> partitions)
    {
        var starts = new Dictionary<int, long>();
        foreach (var p in partitions)
        {
            // Storage is authoritative: the checkpoint that holds the events' effects names the offset.
            var offset = await AcquireWithRetryAsync(p);
            if (offset is { } o)
            {
                starts[p] = o + 1;
            }
        }

        LogAssigned(_log, string.Join(',', partitions));
        return starts;
    }

    private async Task<long?> AcquireWithRetryAsync(int partition)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await _runtime.AcquirePartitionAsync(partition, CancellationToken.None);
            }
            catch (Exception e) when (attempt < 30)
            {
                // Storage briefly down (restart, failover): keep trying rather than drop the assignment.
                LogAcquireRetry(_log, e, partition, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 200 * attempt)));
            }
        }
    }

    public async Task OnRevokedAsync(IReadOnlyList<int> partitions)
    {
        foreach (var p in partitions)
        {
            try
            {
                await _runtime.ReleasePartitionAsync(p, CancellationToken.None);
            }
            catch (Exception e)
            {
                // Not checkpointed: the next owner re-reads from the last stored offset.
                LogReleaseFailed(_log, e, p);
            }
        }

        LogRevoked(_log, string.Join(',', partitions));
    }

    public async Task OnMessagesAsync(int partition, IReadOnlyList<ConsumedMessage> batch)
    {
        var applied = 0;
        List<(ConsumedMessage, string)>? dead = null;

        // Parse and validate the whole batch first, so the grains it touches are activated together.
        var events = new Grains.Abstractions.Events.StorefrontEvent?[batch.Count];
        var problems = new string?[batch.Count];
        var valid = new List<Grains.Abstractions.Events.StorefrontEvent>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            try
            {
                var e = JsonSerializer.Deserialize(batch[i].Value, GrainsJsonContext.Default.StorefrontEvent);
                problems[i] = e is null ? "event: null" : _validator.Validate(e) is { } err ? $"{err.Field}: {err.Reason}" : null;
                if (problems[i] is null)
                {
                    events[i] = e;
                    valid.Add(e!);
                }
            }
            catch (JsonException ex)
            {
                problems[i] = "not a v1 event: " + ex.Message;
            }
        }

        await _pipeline.PrefetchAsync(valid, CancellationToken.None);
        for (var i = 0; i < batch.Count; i++)
        {
            var message = batch[i];
            if (!_runtime.Owns(partition))
            {
                // Revoked or lost meanwhile: the next owner reads these records again.
                return;
            }

            if (problems[i] is { } problem)
            {
                (dead ??= new()).Add((message, problem));
            }
            else
            {
                try
                {
                    await ApplyWithRetryAsync(events[i]!, message.Offset);
                }
                catch (PartitionNotOwnedException)
                {
                    return;
                }

                applied++;
            }

            _runtime.SetWatermark(partition, message.Offset);
        }

        if (dead is not null)
        {
            _metrics.Rejected(dead.Count, "kafka");
            await _deadLetters.PublishBatchAsync(dead);
        }

        _metrics.Ingested(applied, "kafka");
    }

    private async Task ApplyWithRetryAsync(Grains.Abstractions.Events.StorefrontEvent e, long offset)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _pipeline.ApplyAsync(e, offset);
                return;
            }
            catch (PartitionNotOwnedException)
            {
                throw;
            }
            catch (Exception ex) when (attempt < 20)
            {
                // Typically storage unavailable while activating a grain: wait and apply again
                // (grains skip offsets they already hold, so a retry never doubles an effect).
                LogApplyRetry(_log, ex, e.EventId, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * attempt)));
            }
        }
    }

    public override void Dispose()
    {
        _runtime.Checkpointed -= OnCheckpointed;
        _meter.Dispose();
        base.Dispose();
    }

    [LoggerMessage(3000, LogLevel.Information, "assigned partitions {Partitions}")]
    private static partial void LogAssigned(ILogger logger, string partitions);

    [LoggerMessage(3001, LogLevel.Information, "revoked partitions {Partitions}")]
    private static partial void LogRevoked(ILogger logger, string partitions);

    [LoggerMessage(3002, LogLevel.Warning, "acquiring partition {Partition} failed (attempt {Attempt}); retrying")]
    private static partial void LogAcquireRetry(ILogger logger, Exception error, int partition, int attempt);

    [LoggerMessage(3003, LogLevel.Error, "releasing partition {Partition} failed; the next owner resumes from its last checkpoint")]
    private static partial void LogReleaseFailed(ILogger logger, Exception error, int partition);

    [LoggerMessage(3004, LogLevel.Warning, "applying event {EventId} failed (attempt {Attempt}); retrying")]
    private static partial void LogApplyRetry(ILogger logger, Exception error, string eventId, int attempt);

    [LoggerMessage(3005, LogLevel.Debug, "reading end offsets failed")]
    private static partial void LogLagFailed(ILogger logger, Exception error);
}
