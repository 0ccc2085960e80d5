using System.Collections.Concurrent;
using CartRecovery.Streaming.Kafka.Admin;
using CartRecovery.Streaming.Kafka.Codecs;
using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Consuming;
using CartRecovery.Streaming.Kafka.DeadLetters;
using CartRecovery.Streaming.Kafka.Diagnostics;
using CartRecovery.Streaming.Kafka.Producing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace CartRecovery.Streaming.Kafka.Providers;

/// <summary>
/// One per provider name and process (a keyed singleton, so the container disposes it after the silo stopped): it
/// owns the silo's one consumer, producer and dead-letter producer for the topic, and reports the lag of the
/// partitions its silo reads.
/// </summary>
internal sealed class KafkaQueueAdapterFactory : IQueueAdapterFactory, IKafkaLagSource, IDisposable
{
    private readonly string _name;
    private readonly KafkaStreamOptions _options;
    private readonly IKafkaRecordCodec _codec;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggers;
    private readonly Lazy<AckingProducer> _producer;
    private readonly Lazy<PartitionFetcher> _fetcher;
    private readonly DeadLetterPublisher _deadLetters;
    private readonly KafkaStreamQueueMapper _mapper;
    private readonly KafkaQueueAdapterCache _cache;
    private readonly KafkaDeliveryFailureHandler _failures;
    private readonly KafkaStreamInstruments? _instruments;
    private int _disposed;

    public KafkaQueueAdapterFactory(string name, IServiceProvider services)
    {
        _name = name;
        _services = services;
        _options = services.GetRequiredService<IOptionsMonitor<KafkaStreamOptions>>().Get(name);
        _codec = services.GetRequiredKeyedService<IKafkaRecordCodec>(name);
        _loggers = services.GetRequiredService<ILoggerFactory>();
        var logger = _loggers.CreateLogger($"{typeof(KafkaQueueAdapterFactory).Namespace}.{name}");
        _producer = new(() => new AckingProducer(_options, "events", logger));
        _fetcher = new(() => new PartitionFetcher(_options, logger));
        _deadLetters = new DeadLetterPublisher(_options, logger);
        _mapper = new KafkaStreamQueueMapper(_options.EventsTopic, _options.Partitions, _options.Partitioner);
        _cache = new KafkaQueueAdapterCache(_options.CacheSize, _options.MaxDeliveryBatch);
        _failures = new KafkaDeliveryFailureHandler(logger);
        _instruments = services.GetService<KafkaStreamInstruments>();
        _instruments?.Add(this);
    }

    /// <summary>The receivers of the partitions this silo reads now (for lag metrics and tests).</summary>
    internal ConcurrentDictionary<int, KafkaQueueAdapterReceiver> Receivers { get; } = new();

    /// <summary>What <c>AddPersistentStreams</c> calls.</summary>
    public static IQueueAdapterFactory Get(IServiceProvider services, string name) =>
        services.GetRequiredKeyedService<KafkaQueueAdapterFactory>(name);

    public Task<IQueueAdapter> CreateAdapter() => CreateAdapter(CancellationToken.None);

    public async Task<IQueueAdapter> CreateAdapter(CancellationToken cancellationToken)
    {
        // Fail at start, naming the key, rather than deliver a stream to the wrong partition later.
        var partitions = await Task.Run(() => KafkaTopics.GetPartitionCount(_options, _options.EventsTopic, TimeSpan.FromSeconds(30)), cancellationToken);
        if (partitions != _options.Partitions)
        {
            throw new InvalidOperationException(
                $"{KafkaStreamOptions.SectionName}:{nameof(KafkaStreamOptions.Partitions)} is {_options.Partitions} but topic '{_options.EventsTopic}' has {partitions} partitions");
        }

        return new KafkaQueueAdapter(_name, _options, _codec, _producer, _fetcher, _deadLetters, _services, _loggers, Receivers, _instruments);
    }

    public IEnumerable<(string Topic, int Partition, long Lag)> Lags()
    {
        foreach (var receiver in Receivers.Values)
        {
            if (receiver.Lag is { } lag)
            {
                yield return (_options.EventsTopic, receiver.Partition, lag);
            }
        }
    }

    public IQueueAdapterCache GetQueueAdapterCache() => _cache;

    public IStreamQueueMapper GetStreamQueueMapper() => _mapper;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) => Task.FromResult<IStreamFailureHandler>(_failures);

    public void Dispose()
    {
        // Registered under two services (ours and Orleans' IQueueAdapterFactory), so the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _instruments?.Remove(this);
        if (_fetcher.IsValueCreated)
        {
            _fetcher.Value.Dispose();
        }

        if (_producer.IsValueCreated)
        {
            _producer.Value.Dispose();
        }

        _deadLetters.Dispose();
    }
}
