using System.Collections.Concurrent;
using CartRecovery.Streaming.Kafka.Codecs;
using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Consuming;
using CartRecovery.Streaming.Kafka.DeadLetters;
using CartRecovery.Streaming.Kafka.Diagnostics;
using CartRecovery.Streaming.Kafka.Producing;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace CartRecovery.Streaming.Kafka.Providers;

/// <summary>
/// Writes stream events as keyed records (completing on acks=all) and creates a receiver per owned partition.
/// Not rewindable: a consumer cannot ask for events from the past; what was not committed is replayed instead.
/// </summary>
internal sealed class KafkaQueueAdapter(
    string name,
    KafkaStreamOptions options,
    IKafkaRecordCodec codec,
    Lazy<AckingProducer> producer,
    Lazy<PartitionFetcher> fetcher,
    DeadLetterPublisher deadLetters,
    IServiceProvider services,
    ILoggerFactory loggers,
    ConcurrentDictionary<int, KafkaQueueAdapterReceiver> receivers,
    KafkaStreamInstruments? instruments) : IQueueAdapter
{
    public string Name => name;

    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadWrite;

    public Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        if (token is not null)
        {
            throw new ArgumentException("Kafka assigns positions itself; events cannot be written at a sequence token", nameof(token));
        }

        if (!string.Equals(streamId.GetNamespace(), options.StreamNamespace, StringComparison.Ordinal) || streamId.Key.IsEmpty)
        {
            throw new ArgumentException($"stream provider '{name}' carries streams of namespace '{options.StreamNamespace}' with a key; {streamId} is not one", nameof(streamId));
        }

        var key = streamId.Key.ToArray();
        var values = codec.Encode(streamId, events);
        var records = new Message<byte[]?, byte[]>[values.Count];
        for (var i = 0; i < records.Length; i++)
        {
            records[i] = new Message<byte[]?, byte[]> { Key = key, Value = values[i] };
        }

        return producer.Value.SendAsync(options.EventsTopic, records, CancellationToken.None);
    }

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId)
    {
        var silo = services.GetService(typeof(ILocalSiloDetails)) as ILocalSiloDetails
            ?? throw new InvalidOperationException("Kafka stream receivers run in silos only");
        var grains = (IGrainFactory)services.GetService(typeof(IGrainFactory))!;
        var partition = KafkaStreamQueueMapper.PartitionOf(queueId);
        var receiver = new KafkaQueueAdapterReceiver(
            name, partition, options, codec, fetcher.Value, deadLetters, grains, silo.SiloAddress,
            loggers.CreateLogger($"{typeof(KafkaQueueAdapterReceiver).FullName}.{name}"), instruments);
        receiver.Closed += () => receivers.TryRemove(new(partition, receiver));
        receivers[partition] = receiver;
        return receiver;
    }
}
