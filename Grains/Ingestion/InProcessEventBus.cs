using System.Collections.Concurrent;
using System.Threading.Channels;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Diagnostics;
using CartRecovery.Runtime;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Grains.Ingestion;

/// <summary>
/// The embedded stand-in for Kafka: one ordered queue per partition, each drained by one pump, so
/// a shopper's events apply in order while partitions run in parallel. Each event gets the next
/// offset of its partition (continuing from the last checkpoint), the same bookkeeping the Kafka
/// path uses. A publish completes once its events are applied and checkpointed.
/// </summary>
public sealed partial class InProcessEventBus : IEventBus, IAsyncDisposable
{
    private readonly GrainRuntime _runtime;
    private readonly EventPipeline _pipeline;
    private readonly DomainMetrics _metrics;
    private readonly ILogger<InProcessEventBus> _log;
    private readonly ConcurrentDictionary<int, Pump> _pumps = new();
    private readonly CancellationTokenSource _stopping = new();

    public InProcessEventBus(GrainRuntime runtime, EventPipeline pipeline, DomainMetrics metrics, ILogger<InProcessEventBus> log)
    {
        _runtime = runtime;
        _pipeline = pipeline;
        _metrics = metrics;
        _log = log;
    }

    /// <summary>Wait for the checkpoint before answering (default). Off only for tools that checkpoint themselves.</summary>
    public bool WaitForCheckpoint { get; set; } = true;

    private sealed record Batch(List<StorefrontEvent> Events, TaskCompletionSource Done);

    private sealed class Pump
    {
        public required Channel<Batch> Queue { get; init; }

        public long NextOffset;

        public Task? Task;
    }

    public async Task PublishAsync(IReadOnlyList<StorefrontEvent> events, CancellationToken cancellationToken)
    {
        // The batch's new grains are activated here, together, rather than one by one in the pumps.
        await _pipeline.PrefetchAsync(events, cancellationToken);
        var byPartition = new Dictionary<int, List<StorefrontEvent>>();
        foreach (var e in events)
        {
            var p = _runtime.PartitionOf(e.ShopperId);
            if (!byPartition.TryGetValue(p, out var list))
            {
                byPartition[p] = list = new List<StorefrontEvent>();
            }

            list.Add(e);
        }

        var waits = new List<Task>(byPartition.Count);
        foreach (var (partition, list) in byPartition)
        {
            var pump = _pumps.GetOrAdd(partition, Start);
            var batch = new Batch(list, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            await pump.Queue.Writer.WriteAsync(batch, cancellationToken);
            waits.Add(batch.Done.Task);
        }

        await Task.WhenAll(waits).WaitAsync(cancellationToken);
        if (WaitForCheckpoint)
        {
            await _runtime.WhenCheckpointedAsync(byPartition.Keys).WaitAsync(cancellationToken);
        }
    }

    private Pump Start(int partition)
    {
        var pump = new Pump { Queue = Channel.CreateBounded<Batch>(new BoundedChannelOptions(256) { SingleReader = true }) };
        pump.Task = Task.Run(() => RunAsync(partition, pump));
        return pump;
    }

    private async Task RunAsync(int partition, Pump pump)
    {
        // Offsets continue from what the last checkpoint of the partition recorded.
        pump.NextOffset = (await _runtime.AcquirePartitionAsync(partition, _stopping.Token) ?? -1) + 1;
        await foreach (var batch in pump.Queue.Reader.ReadAllAsync(_stopping.Token))
        {
            var applied = 0;
            foreach (var e in batch.Events)
            {
                var offset = pump.NextOffset++;
                try
                {
                    if (await _pipeline.ApplyAsync(e, offset))
                    {
                        applied++;
                    }
                }
                catch (Exception ex)
                {
                    _metrics.Failed();
                    LogApplyFailed(_log, ex, e.EventId, partition);
                }

                _runtime.SetWatermark(partition, offset);
            }

            _metrics.Ingested(applied, "http");
            batch.Done.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        foreach (var pump in _pumps.Values)
        {
            pump.Queue.Writer.TryComplete();
        }

        await Task.WhenAll(_pumps.Values.Select(p => p.Task ?? Task.CompletedTask)).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [LoggerMessage(2000, LogLevel.Error, "applying event {EventId} in partition {Partition} failed")]
    private static partial void LogApplyFailed(ILogger logger, Exception error, string eventId, int partition);
}
