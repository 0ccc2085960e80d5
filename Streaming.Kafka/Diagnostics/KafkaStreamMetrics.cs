using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace CartRecovery.Streaming.Kafka.Diagnostics;

/// <summary>
/// Names of the Kafka stream provider's instruments (meter <see cref="MeterName"/>). Names follow the Prometheus
/// conventions of the other CartRecovery meters (no prefix, <c>_total</c> on counters), so /metrics shows them as
/// written here. The meter is created through the host's <see cref="IMeterFactory"/> and added to the app's
/// OpenTelemetry meter provider by <c>AddKafkaStreams</c>.
/// </summary>
public static class KafkaStreamMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "CartRecovery.Kafka";

    /// <summary>
    /// Records of a partition this silo reads that are not yet done (gauge, tagged <see cref="TopicTag"/> and
    /// <see cref="PartitionTag"/>): the partition's high watermark minus the offset below which every record was
    /// delivered to its consumers with durable effects or dead-lettered, i.e. the offset the next commit writes. It
    /// counts records still in Kafka, fetched and buffered, in the Orleans cache and in delivery. A partition is
    /// reported only by the silo that reads it, so a sum over silos counts each partition once.
    /// </summary>
    public const string ConsumerLag = "kafka_consumer_lag";

    /// <summary>
    /// Records written to the dead-letter topic and acknowledged (counter, tagged <see cref="TopicTag"/>, the source
    /// topic, and <see cref="ReasonTag"/>: <see cref="ReasonInvalid"/> or <see cref="ReasonDeliveryFailed"/>).
    /// </summary>
    public const string RecordsDeadLettered = "kafka_records_dead_lettered_total";

    public const string TopicTag = "topic";

    public const string PartitionTag = "partition";

    public const string ReasonTag = "reason";

    /// <summary>Poison: no key, not UTF-8, not decodable, refused by the codec's validation, or a key other than its stream.</summary>
    public const string ReasonInvalid = "invalid";

    /// <summary>Its consumer kept failing for <c>Kafka:MaxDeliveryTime</c>.</summary>
    public const string ReasonDeliveryFailed = "delivery_failed";
}

/// <summary>What reports lag: a provider's adapter factory, over the partitions its silo reads now.</summary>
internal interface IKafkaLagSource
{
    IEnumerable<(string Topic, int Partition, long Lag)> Lags();
}

/// <summary>
/// The instruments, one set per service container (resolved as a singleton, created through its meter factory so
/// each container's measurements can be told apart). Every provider in the container reports through the same gauge.
/// </summary>
internal sealed class KafkaStreamInstruments
{
    private readonly ConcurrentDictionary<IKafkaLagSource, byte> _sources = new();
    private readonly Counter<long> _deadLettered;

    public KafkaStreamInstruments(IMeterFactory? meterFactory = null)
    {
        Meter = meterFactory?.Create(KafkaStreamMetrics.MeterName) ?? new Meter(KafkaStreamMetrics.MeterName);
        Meter.CreateObservableGauge(KafkaStreamMetrics.ConsumerLag, Observe,
            description: "Records of a partition this silo reads that are not yet done: high watermark minus the next offset to commit");
        _deadLettered = Meter.CreateCounter<long>(KafkaStreamMetrics.RecordsDeadLettered,
            description: "Records written to the dead-letter topic and acknowledged");
    }

    public Meter Meter { get; }

    public void Add(IKafkaLagSource source) => _sources.TryAdd(source, 0);

    public void Remove(IKafkaLagSource source) => _sources.TryRemove(source, out _);

    public void DeadLettered(string topic, string reason, long count)
    {
        if (count > 0)
        {
            _deadLettered.Add(count, new KeyValuePair<string, object?>(KafkaStreamMetrics.TopicTag, topic), new KeyValuePair<string, object?>(KafkaStreamMetrics.ReasonTag, reason));
        }
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        var measurements = new List<Measurement<long>>();
        foreach (var source in _sources.Keys)
        {
            foreach (var (topic, partition, lag) in source.Lags())
            {
                measurements.Add(new Measurement<long>(lag,
                    new KeyValuePair<string, object?>(KafkaStreamMetrics.TopicTag, topic),
                    new KeyValuePair<string, object?>(KafkaStreamMetrics.PartitionTag, partition)));
            }
        }

        return measurements;
    }
}
