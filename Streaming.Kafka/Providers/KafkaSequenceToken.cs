using System.Globalization;
using Orleans.Streams;

namespace CartRecovery.Streaming.Kafka.Providers;

/// <summary>
/// Where an event sits: its record's partition and offset, and its index within the record. Offsets are the broker's,
/// so a token means the same on every silo and after every hand-over.
/// </summary>
[GenerateSerializer, Immutable, Alias("cr.kafka.KafkaSequenceToken")]
public sealed class KafkaSequenceToken : StreamSequenceToken
{
    public KafkaSequenceToken(int partition, long offset, int eventIndex = 0)
    {
        Partition = partition;
        SequenceNumber = offset;
        EventIndex = eventIndex;
    }

    [Id(0)] public int Partition { get; private set; }

    /// <summary>The record's offset in its partition.</summary>
    [Id(1)] public override long SequenceNumber { get; protected set; }

    [Id(2)] public override int EventIndex { get; protected set; }

    public long Offset => SequenceNumber;

    public KafkaSequenceToken WithEventIndex(int index) => index == EventIndex ? this : new(Partition, SequenceNumber, index);

    public override bool Equals(StreamSequenceToken? other) =>
        other is KafkaSequenceToken k && k.Partition == Partition && k.SequenceNumber == SequenceNumber && k.EventIndex == EventIndex;

    public override bool Equals(object? obj) => Equals(obj as StreamSequenceToken);

    public override int GetHashCode() => HashCode.Combine(Partition, SequenceNumber, EventIndex);

    /// <remarks>Tokens of one partition are ordered; tokens of different partitions cannot be compared.</remarks>
    public override int CompareTo(StreamSequenceToken? other)
    {
        if (other is null)
        {
            return 1;
        }

        if (other is not KafkaSequenceToken k || k.Partition != Partition)
        {
            throw new ArgumentOutOfRangeException(nameof(other), $"{other} is not a token of Kafka partition {Partition}");
        }

        var byOffset = SequenceNumber.CompareTo(k.SequenceNumber);
        return byOffset != 0 ? byOffset : EventIndex.CompareTo(k.EventIndex);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"[{Partition}@{SequenceNumber}#{EventIndex}]");
}
