using System.Text;
using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Diagnostics;
using CartRecovery.Streaming.Kafka.Producing;
using CartRecovery.Streaming.Kafka.Providers;
using CartRecovery.Streaming.Kafka.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace CartRecovery.Streaming.Kafka.Tests.Providers;

/// <summary>
/// The gauge kafka_consumer_lag, per partition the silo reads: records not yet done (high watermark minus the next
/// offset to commit); and the counter kafka_records_dead_lettered_total.
/// </summary>
[Collection(OrleansClusters.Name)]
public sealed class LagMetricTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Lag_counts_the_records_a_stalled_consumer_has_not_done_and_returns_to_zero_after_delivery()
    {
        using var kafka = new TestKafka();
        var options = kafka.CreateTopics(partitions: 2);
        var ledger = Ledger.Create();
        ledger.Hold("e000");
        await using var cluster = await StreamCluster.StartAsync(options);
        using var meters = new KafkaMeters(cluster.Cluster.Silos[0].ServiceProvider);

        // Nothing produced yet: every partition the silo reads reports 0 (from the start offset, nothing fetched).
        await Poll.UntilAsync(() => meters.Lag(options.EventsTopic) is { Count: 2 } l && l.Values.All(v => v == 0), "both partitions reported with lag 0");

        // One stream, so one partition: its first record's delivery hangs, the rest wait behind it.
        const int count = 50;
        var partition = PartitionOf(options, "k");
        using (var producer = new KafkaEventProducer(options))
        {
            await producer.ProduceAsync([.. Enumerable.Range(0, count).Select(i => ("k", TestEvents.Json(ledger.Event("k", $"e{i:D3}"))))]);
        }

        await ledger.HoldReached("e000");
        await Poll.UntilAsync(() => meters.Lag(options.EventsTopic).GetValueOrDefault(partition) == count, $"lag {count} on partition {partition}");
        var stalled = meters.Lag(options.EventsTopic);
        output.WriteLine($"stalled: {string.Join(", ", stalled.Select(l => $"{l.Key}={l.Value}"))}");
        Assert.Equal(0, stalled[1 - partition]);

        ledger.Release("e000");
        await ledger.WaitForAsync(l => l.Distinct == count, "every record applied");
        await Poll.UntilAsync(() => meters.Lag(options.EventsTopic).Values.All(v => v == 0), "lag back to 0 on both partitions");
        await Topics.WaitAllCommittedAsync(options);
        Assert.Equal(count, Topics.Committed(options)[partition]);
    }

    [Fact]
    public async Task Lag_of_a_paused_partition_follows_what_is_produced_while_its_consumer_is_stalled()
    {
        using var kafka = new TestKafka();
        var options = kafka.CreateTopics(partitions: 1);
        options.CacheSize = 50;
        options.MaxBufferedPerPartition = 40;
        options.MaxDeliveryBatch = 5;
        var ledger = Ledger.Create();
        ledger.Hold("e0000");
        await using var cluster = await StreamCluster.StartAsync(options);
        using var meters = new KafkaMeters(cluster.Cluster.Silos[0].ServiceProvider);
        using var producer = new KafkaEventProducer(options);
        await producer.ProduceAsync([.. Enumerable.Range(0, 1000).Select(i => ("k", TestEvents.Json(ledger.Event("k", $"e{i:D4}"))))]);
        await ledger.HoldReached("e0000");
        var receiver = cluster.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<KafkaQueueAdapterFactory>(TestEvents.Provider).Receivers.Values.Single();
        await Poll.UntilAsync(() => receiver.Paused, "fetching paused (cache and buffer full)");

        // Fetching is paused, so no fetch response brings the new high watermark: the broker is asked.
        await producer.ProduceAsync([.. Enumerable.Range(1000, 500).Select(i => ("k", TestEvents.Json(ledger.Event("k", $"e{i:D4}"))))]);
        await Poll.UntilAsync(() => meters.Lag(options.EventsTopic).GetValueOrDefault(0) == 1500, "lag 1500 while paused", TimeSpan.FromMilliseconds(200));

        ledger.Release("e0000");
        await ledger.WaitForAsync(l => l.Distinct == 1500, "every record applied");
        await Poll.UntilAsync(() => meters.Lag(options.EventsTopic).GetValueOrDefault(0) == 0, "lag back to 0");
    }

    [Fact]
    public async Task Dead_letters_are_counted_by_reason_once_acknowledged()
    {
        using var kafka = new TestKafka();
        var options = kafka.CreateTopics(partitions: 1);
        options.MaxDeliveryTime = TimeSpan.FromSeconds(2);
        var ledger = Ledger.Create();
        ledger.FailAlways("bad");
        await using var cluster = await StreamCluster.StartAsync(options);
        using var meters = new KafkaMeters(cluster.Cluster.Silos[0].ServiceProvider);

        var k = Encoding.UTF8.GetBytes("k");
        await Topics.ProduceRawAsync(options,
            (null, TestEvents.Json(ledger.Event("k", "keyless"))),
            (k, Encoding.UTF8.GetBytes("{not json")),
            (k, TestEvents.Json(ledger.Event("k", "bad"))));

        // Produced once "bad" was refused, so it is not part of the failing batch (which is dead-lettered whole).
        await ledger.Refused("bad");
        await Topics.ProduceRawAsync(options, (k, TestEvents.Json(ledger.Event("k", "ok"))));
        await ledger.WaitForAsync(l => l.Count("ok") == 1, "the record after the poison and the refused one applied");
        await Poll.UntilAsync(() => meters.DeadLettered(options.EventsTopic, KafkaStreamMetrics.ReasonDeliveryFailed) == 1, "the refused record counted");
        Assert.Equal(2, meters.DeadLettered(options.EventsTopic, KafkaStreamMetrics.ReasonInvalid));
        Assert.Equal(3, Topics.DeadLetters(options, 3).Count);
        await Poll.UntilAsync(() => meters.Lag(options.EventsTopic).GetValueOrDefault(0, -1) == 0, "lag 0 once the dead letters are acknowledged");
    }

    private static int PartitionOf(KafkaStreamOptions options, string key) =>
        new KafkaStreamQueueMapper(options.EventsTopic, options.Partitions, options.Partitioner).PartitionOf(StreamId.Create(TestEvents.Namespace, key));
}
