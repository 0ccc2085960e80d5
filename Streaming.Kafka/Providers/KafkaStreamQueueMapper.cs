using Orleans.Runtime;
using Orleans.Streams;

namespace CartRecovery.Streaming.Kafka.Providers;

/// <summary>
/// Queue i is partition i of the topic, and stream K lives in the partition the producers' partitioner gives key K, so
/// a keyed produce and Orleans agree on where a stream's events are. Queue hashes are spread evenly over the ring,
/// so the consistent-ring balancer shares partitions out evenly between silos.
/// </summary>
internal sealed class KafkaStreamQueueMapper : IConsistentRingStreamQueueMapper
{
    private readonly QueueId[] _queues;
    private readonly string _partitioner;

    public KafkaStreamQueueMapper(string topic, int partitions, string partitioner)
    {
        _partitioner = partitioner;
        var step = uint.MaxValue / (uint)partitions;
        _queues = [.. Enumerable.Range(0, partitions).Select(i => QueueId.GetQueueId(topic, (uint)i, (uint)i * step))];
    }

    public IEnumerable<QueueId> GetAllQueues() => _queues;

    public IEnumerable<QueueId> GetQueuesForRange(IRingRange range) => _queues.Where(q => range.InRange(q.GetUniformHashCode()));

    public QueueId GetQueueForStream(StreamId streamId) => _queues[PartitionOf(streamId)];

    public int PartitionOf(StreamId streamId) =>
        streamId.Key.IsEmpty ? 0 : KafkaPartitioners.Partition(_partitioner, streamId.Key.Span, _queues.Length);

    public static int PartitionOf(QueueId queueId) => (int)queueId.GetNumericId();
}
