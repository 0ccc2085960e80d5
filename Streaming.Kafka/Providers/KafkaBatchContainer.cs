using CartRecovery.Streaming.Kafka.Codecs;
using Orleans.Runtime;
using Orleans.Streams;

namespace CartRecovery.Streaming.Kafka.Providers;

/// <summary>The events of one Kafka record, on the stream its key names.</summary>
[GenerateSerializer, Alias("cr.kafka.KafkaBatchContainer")]
public sealed class KafkaBatchContainer : IBatchContainer
{
    public KafkaBatchContainer(StreamId streamId, KafkaSequenceToken token, IReadOnlyList<object> events)
    {
        StreamId = streamId;
        Token = token;
        Events = events;
    }

    [Id(0)] public StreamId StreamId { get; }

    [Id(1)] public KafkaSequenceToken Token { get; }

    [Id(2)] public IReadOnlyList<object> Events { get; }

    public StreamSequenceToken SequenceToken => Token;

    /// <summary>The record the events came from, kept on the reading silo for dead-lettering (never serialized).</summary>
    [NonSerialized]
    internal KafkaRecord? Source;

    /// <summary>Set by this silo's queue cache when the pulling agent gave up delivering the record (never serialized).</summary>
    [NonSerialized]
    internal bool DeliveryFailed;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>()
    {
        for (var i = 0; i < Events.Count; i++)
        {
            if (Events[i] is T e)
            {
                yield return Tuple.Create(e, (StreamSequenceToken)Token.WithEventIndex(i));
            }
        }
    }

    // Records carry no Orleans request context.
    public bool ImportRequestContext() => false;

    public override string ToString() => $"{StreamId}{Token}({Events.Count})";
}

/// <summary>
/// Consecutive records of one stream handed to its consumer in one call (the queue cache's batching). Its token is
/// that of its last record: a consumer that resumes from it has everything in the group.
/// </summary>
[GenerateSerializer, Alias("cr.kafka.KafkaRecordGroup")]
public sealed class KafkaRecordGroup : IBatchContainer
{
    public KafkaRecordGroup(StreamId streamId, List<KafkaBatchContainer> records)
    {
        StreamId = streamId;
        Records = records;
    }

    [Id(0)] public StreamId StreamId { get; }

    [Id(1)] public List<KafkaBatchContainer> Records { get; }

    public StreamSequenceToken SequenceToken => Records[^1].SequenceToken;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>() => Records.SelectMany(r => r.GetEvents<T>());

    // Records carry no Orleans request context.
    public bool ImportRequestContext() => false;

    public override string ToString() => $"{StreamId}{Records[0].Token}..{Records[^1].Token}({Records.Count} records)";
}
