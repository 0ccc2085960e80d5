using System.Diagnostics.Metrics;
using CartRecovery.Streaming.Kafka.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace CartRecovery.Streaming.Kafka.Tests.Support;

/// <summary>
/// Listens to the Kafka provider's meter of one service container (a silo's), as an exporter would: the lag gauge is
/// observed on demand, the dead-letter counter accumulates.
/// </summary>
public sealed class KafkaMeters : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Topic, int Partition), long> _lag = [];
    private readonly Dictionary<(string Topic, string Reason), long> _deadLettered = [];

    public KafkaMeters(IServiceProvider services)
    {
        var scope = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == KafkaStreamMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var found = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                found[tag.Key] = tag.Value;
            }

            lock (_gate)
            {
                if (instrument.Name == KafkaStreamMetrics.ConsumerLag)
                {
                    _lag[((string)found[KafkaStreamMetrics.TopicTag]!, (int)found[KafkaStreamMetrics.PartitionTag]!)] = value;
                }
                else if (instrument.Name == KafkaStreamMetrics.RecordsDeadLettered)
                {
                    var key = ((string)found[KafkaStreamMetrics.TopicTag]!, (string)found[KafkaStreamMetrics.ReasonTag]!);
                    _deadLettered[key] = _deadLettered.GetValueOrDefault(key) + value;
                }
            }
        });
        _listener.Start();
    }

    /// <summary>One observation of the lag gauge: partition → lag, for the partitions of <paramref name="topic"/> it reports.</summary>
    public IReadOnlyDictionary<int, long> Lag(string topic)
    {
        lock (_gate)
        {
            _lag.Clear();
            _listener.RecordObservableInstruments();
            return _lag.Where(l => l.Key.Topic == topic).ToDictionary(l => l.Key.Partition, l => l.Value);
        }
    }

    public long DeadLettered(string topic, string reason)
    {
        lock (_gate)
        {
            return _deadLettered.GetValueOrDefault((topic, reason));
        }
    }

    public void Dispose() => _listener.Dispose();
}
