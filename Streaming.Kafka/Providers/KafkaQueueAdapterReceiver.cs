using System.Diagnostics.CodeAnalysis;
using System.Text;
using CartRecovery.Streaming.Kafka.Codecs;
using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Consuming;
using CartRecovery.Streaming.Kafka.DeadLetters;
using CartRecovery.Streaming.Kafka.Diagnostics;
using CartRecovery.Streaming.Kafka.Handover;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace CartRecovery.Streaming.Kafka.Providers;

/// <summary>
/// Reads one partition for its pulling agent. It starts only once the partition's previous reader has committed and
/// let go (the lease), turns records into batch containers or dead letters, and commits the offset below which every
/// record was delivered (the agent reports delivered records when it purges them from the cache) or dead-lettered.
/// </summary>
internal sealed partial class KafkaQueueAdapterReceiver : IQueueAdapterReceiver
{
    private static readonly TimeSpan LeaseRetry = TimeSpan.FromMilliseconds(250);
    private static readonly IList<IBatchContainer> Nothing = Array.Empty<IBatchContainer>();
    private const string DeliveryFailedReason = "delivery failed: ";

    private readonly int _partition;
    private readonly string _leaseKey;
    private readonly KafkaStreamOptions _options;
    private readonly IKafkaRecordCodec _codec;
    private readonly PartitionFetcher _fetcher;
    private readonly DeadLetterPublisher _deadLetters;
    private readonly IGrainFactory _grains;
    private readonly SiloAddress _silo;
    private readonly KafkaStreamInstruments? _instruments;
    private readonly ILogger _logger;
    private readonly Guid _owner = Guid.NewGuid();
    private readonly OffsetTracker _tracker = new();
    private readonly List<(KafkaRecord Record, string Reason)> _poison = [];
    private readonly CancellationTokenSource _closing = new();
    private Task<PartitionBuffer>? _start;
    private PartitionBuffer? _buffer;
    private long _committed = -1;

    public KafkaQueueAdapterReceiver(
        string providerName,
        int partition,
        KafkaStreamOptions options,
        IKafkaRecordCodec codec,
        PartitionFetcher fetcher,
        DeadLetterPublisher deadLetters,
        IGrainFactory grains,
        SiloAddress silo,
        ILogger logger,
        KafkaStreamInstruments? instruments = null)
    {
        _partition = partition;
        _leaseKey = $"{providerName}/{options.EventsTopic}/{partition}";
        _options = options;
        _codec = codec;
        _fetcher = fetcher;
        _deadLetters = deadLetters;
        _grains = grains;
        _silo = silo;
        _logger = logger;
        _instruments = instruments;
    }

    /// <summary>Records taken from the fetcher and not yet done (delivered or dead-lettered).</summary>
    internal int Open => _tracker.Open;

    /// <summary>Records fetched and waiting for the agent to take them.</summary>
    internal int Buffered => _buffer?.Count ?? 0;

    /// <summary>True while fetching is paused because the agent is not taking records (backpressure).</summary>
    internal bool Paused => _buffer?.IsPaused ?? false;

    /// <summary>True once this receiver holds the lease and reads its partition.</summary>
    internal bool Reading => _buffer is not null && !_closing.IsCancellationRequested;

    /// <summary>The partition this receiver reads.</summary>
    internal int Partition => _partition;

    /// <summary>
    /// Records of the partition not yet done, for the lag gauge (any thread): the high watermark the fetcher last noted
    /// minus the offset below which every record is delivered or dead-lettered (what the next commit writes; before
    /// anything was taken, the first record fetched, or the start offset). Null while not reading, or not yet known.
    /// </summary>
    internal long? Lag
    {
        get
        {
            if (Volatile.Read(ref _buffer) is not { } buffer || _closing.IsCancellationRequested)
            {
                return null;
            }

            var high = buffer.HighWatermark;
            var done = _tracker.Published;
            if (done < 0)
            {
                done = buffer.FirstFetched >= 0 ? buffer.FirstFetched : buffer.StartOffset;
            }

            return high < 0 || done < 0 ? null : Math.Max(0, high - done);
        }
    }

    /// <summary>Raised when the receiver has let go of its partition.</summary>
    internal event Action? Closed;

    public Task Initialize(TimeSpan timeout)
    {
        // The hand-over may wait for another silo; the agent polls GetQueueMessagesAsync meanwhile and gets nothing.
        _start = StartAsync(_closing.Token);
        return Task.CompletedTask;
    }

    public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount) => GetQueueMessagesAsync(maxCount, CancellationToken.None);

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount, CancellationToken cancellationToken)
    {
        if (!IsStarted())
        {
            return Nothing;
        }

        var buffer = _buffer!;
        if (_poison.Count > 0)
        {
            await DeadLetterPendingAsync();
        }

        var take = maxCount is > 0 ? maxCount : _options.CacheSize / 10;
        var records = buffer.Take(take);
        if (buffer.ShouldResume())
        {
            _fetcher.Resume(buffer);
        }

        if (records.Count == 0)
        {
            return Nothing;
        }

        var batch = new List<IBatchContainer>(records.Count);
        foreach (var result in records)
        {
            _tracker.Read(result.Offset.Value);
            var record = ToRecord(result);
            if (Decode(record) is { } container)
            {
                batch.Add(container);
            }
        }

        if (_poison.Count > 0)
        {
            await DeadLetterPendingAsync();
        }

        return batch;
    }

    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => MessagesDeliveredAsync(messages, CancellationToken.None);

    public async Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken)
    {
        foreach (var message in messages)
        {
            if (message is not KafkaBatchContainer container)
            {
                continue;
            }

            if (container.DeliveryFailed)
            {
                _poison.Add((container.Source!, $"{DeliveryFailedReason}the consumer of stream {container.StreamId} did not accept the record within {_options.MaxDeliveryTime}"));
            }
            else
            {
                _tracker.Done(container.Token.Offset);
            }
        }

        if (_poison.Count > 0)
        {
            await DeadLetterPendingAsync();
        }

        CommitProgress();
    }

    public Task Shutdown(TimeSpan timeout) => Shutdown(timeout, CancellationToken.None);

    public async Task Shutdown(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _closing.Cancel();
        try
        {
            await ShutdownCoreAsync();
        }
        finally
        {
            Closed?.Invoke();
        }
    }

    private async Task ShutdownCoreAsync()
    {
        if (_start is null)
        {
            return;
        }

        await ((Task)_start).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        if (!_start.IsCompletedSuccessfully)
        {
            return;
        }

        try
        {
            // Dead letters still owed are the next reader's: their offsets stay uncommitted.
            var final = _tracker.Watermark;
            await _fetcher.ReleaseAsync(_start.Result, final);
        }
        finally
        {
            await ReleaseLeaseAsync();
        }
    }

    private bool IsStarted()
    {
        if (_start is null || _closing.IsCancellationRequested)
        {
            return false;
        }

        if (_start.IsCompletedSuccessfully)
        {
            if (_buffer is null)
            {
                Volatile.Write(ref _buffer, _start.Result);
            }

            return true;
        }

        if (_start.IsFaulted)
        {
            StartFailed(_logger, _leaseKey, _start.Exception!.GetBaseException());
            _start = StartAsync(_closing.Token);
        }

        return false;
    }

    private async Task<PartitionBuffer> StartAsync(CancellationToken cancellationToken)
    {
        var lease = _grains.GetGrain<IKafkaPartitionLeaseGrain>(_leaseKey);
        var deadline = DateTime.UtcNow + _options.HandoverTimeout;
        SiloAddress? waitingFor = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var force = DateTime.UtcNow >= deadline;
            var answer = await lease.TryAcquire(_owner, _silo, force);
            if (answer.Granted)
            {
                break;
            }

            if (!Equals(waitingFor, answer.Holder))
            {
                waitingFor = answer.Holder;
                WaitingForHandover(_logger, _leaseKey, answer.Holder);
            }

            await Task.Delay(LeaseRetry, cancellationToken);
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return await _fetcher.AssignAsync(_partition);
        }
        catch
        {
            await ReleaseLeaseAsync();
            throw;
        }
    }

    private async Task ReleaseLeaseAsync()
    {
        try
        {
            await _grains.GetGrain<IKafkaPartitionLeaseGrain>(_leaseKey).Release(_owner);
        }
        catch (Exception e)
        {
            // The next reader waits for membership or the hand-over timeout instead.
            LeaseReleaseFailed(_logger, _leaseKey, e);
        }
    }

    private KafkaRecord ToRecord(ConsumeResult<byte[]?, byte[]?> result)
    {
        var message = result.Message;
        IReadOnlyList<KeyValuePair<string, byte[]>> headers = [];
        if (message.Headers is { Count: > 0 } raw)
        {
            var list = new KeyValuePair<string, byte[]>[raw.Count];
            for (var i = 0; i < list.Length; i++)
            {
                list[i] = new(raw[i].Key, raw[i].GetValueBytes() ?? []);
            }

            headers = list;
        }

        return new KafkaRecord(
            result.Topic,
            result.Partition.Value,
            result.Offset.Value,
            message.Key,
            message.Value ?? [],
            headers,
            DateTimeOffset.FromUnixTimeMilliseconds(message.Timestamp.UnixTimestampMs));
    }

    private KafkaBatchContainer? Decode(KafkaRecord record)
    {
        string? reason;
        if (record.Key is not { Length: > 0 } keyBytes)
        {
            reason = "the record has no key (the key names the stream, e.g. the shopper)";
        }
        else if (!TryUtf8(keyBytes, out var key))
        {
            reason = "the record key is not UTF-8 text";
        }
        else
        {
            KafkaDecodeResult decoded;
            try
            {
                decoded = _codec.Decode(record, key);
            }
            catch (Exception e)
            {
                decoded = KafkaDecodeResult.Poison($"the codec failed: {e.GetType().Name}: {e.Message}");
            }

            if (!decoded.IsPoison && decoded.Events is { Count: > 0 } events)
            {
                var streamId = StreamId.Create(_options.StreamNamespace, key);
                return new KafkaBatchContainer(streamId, new KafkaSequenceToken(_partition, record.Offset), events) { Source = record };
            }

            reason = decoded.Error ?? "the record holds no event";
        }

        _poison.Add((record, reason));
        return null;
    }

    private static bool TryUtf8(byte[] bytes, [NotNullWhen(true)] out string? text)
    {
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = null;
            return false;
        }
    }

    private async Task DeadLetterPendingAsync()
    {
        var pending = _poison.ToArray();
        try
        {
            await _deadLetters.PublishAsync(pending);
        }
        catch (Exception e)
        {
            // Kept and retried with the next read; meanwhile the watermark stays below them, so a crash re-reads them.
            DeadLetterFailed(_logger, _leaseKey, pending.Length, e);
            return;
        }

        _poison.RemoveRange(0, pending.Length);
        var failed = 0;
        foreach (var (record, reason) in pending)
        {
            _tracker.Done(record.Offset);
            failed += reason.StartsWith(DeliveryFailedReason, StringComparison.Ordinal) ? 1 : 0;
        }

        _instruments?.DeadLettered(_options.EventsTopic, KafkaStreamMetrics.ReasonDeliveryFailed, failed);
        _instruments?.DeadLettered(_options.EventsTopic, KafkaStreamMetrics.ReasonInvalid, pending.Length - failed);

        CommitProgress();
    }

    private void CommitProgress()
    {
        if (_tracker.Watermark is { } watermark && watermark > _committed)
        {
            _committed = watermark;
            _fetcher.Commit(_partition, watermark);
        }
    }

    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "Partition {Lease}: waiting for {Holder} to commit and hand the partition over")]
    private static partial void WaitingForHandover(ILogger logger, string lease, SiloAddress? holder);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Warning, Message = "Partition {Lease}: starting failed; retrying")]
    private static partial void StartFailed(ILogger logger, string lease, Exception error);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Warning, Message = "Partition {Lease}: could not release the lease")]
    private static partial void LeaseReleaseFailed(ILogger logger, string lease, Exception error);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Error, Message = "Partition {Lease}: {Count} dead letters not acknowledged; retrying")]
    private static partial void DeadLetterFailed(ILogger logger, string lease, int count, Exception error);
}
