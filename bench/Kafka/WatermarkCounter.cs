using System.Diagnostics.Metrics;
using CartRecovery.Streaming.Kafka.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace CartRecovery.Bench.Kafka;

/// <summary>
/// Records of the topic below the product's commit watermark, read from its own gauge <c>kafka_consumer_lag</c> (meter
/// CartRecovery.Kafka of the app's container): a partition's lag is its high watermark minus the offset below which
/// every record was delivered and purged from the Orleans cache (what the next commit writes). With the topic no longer
/// growing, done = end offset - lag for each partition the silo reports, 0 for one it does not read yet. It trails
/// what the grains applied (<see cref="DeliveryCounter"/>) by what the cache still holds.
/// </summary>
internal sealed class WatermarkCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly string _topic;
    private readonly Dictionary<int, long> _lag = [];

    public WatermarkCounter(IServiceProvider services, string topic)
    {
        _topic = topic;
        var scope = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == KafkaStreamMetrics.MeterName && instrument.Name == KafkaStreamMetrics.ConsumerLag && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? topicTag = null;
            var partition = -1;
            foreach (var tag in tags)
            {
                if (tag.Key == KafkaStreamMetrics.TopicTag)
                {
                    topicTag = tag.Value as string;
                }
                else if (tag.Key == KafkaStreamMetrics.PartitionTag && tag.Value is int p)
                {
                    partition = p;
                }
            }

            if (topicTag == _topic && partition >= 0)
            {
                _lag[partition] = value;
            }
        });
        _listener.Start();
    }

    /// <summary>Records done over all partitions, given each partition's end offset (and where the group starts: 0).</summary>
    public long Done(IReadOnlyDictionary<int, long> ends)
    {
        lock (_gate)
        {
            _lag.Clear();
            _listener.RecordObservableInstruments();
            return ends.Sum(e => _lag.TryGetValue(e.Key, out var lag) ? Math.Max(0, e.Value - lag) : 0);
        }
    }

    public void Dispose() => _listener.Dispose();
}
