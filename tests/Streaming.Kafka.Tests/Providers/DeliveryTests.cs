using CartRecovery.Streaming.Kafka.Producing;
using CartRecovery.Streaming.Kafka.Tests.Support;

namespace CartRecovery.Streaming.Kafka.Tests.Providers;

/// <summary>Records produced to the topic reach their key's grain through the provider, once each, in order.</summary>
[Collection(OrleansClusters.Name)]
public sealed class DeliveryTests
{
    [Fact]
    public async Task Every_record_reaches_its_keys_grain_once_in_order_and_offsets_end_committed()
    {
        using var kafka = new TestKafka();
        var options = kafka.CreateTopics(partitions: 4);
        var ledger = Ledger.Create();
        await using var cluster = await StreamCluster.StartAsync(options);

        var events = Enumerable.Range(0, 300).Select(i => ledger.Event($"shopper-{i % 25}", $"e{i:D3}")).ToList();
        using (var producer = new KafkaEventProducer(options))
        {
            await producer.ProduceAsync([.. events.Select(e => (e.Key, TestEvents.Json(e)))]);
        }

        await ledger.WaitForAsync(l => l.Distinct == events.Count, "all 300 events applied");
        await Topics.WaitAllCommittedAsync(options);

        var applied = ledger.Applications;
        Assert.Equal(events.Count, applied.Count);
        foreach (var group in events.GroupBy(e => e.Key))
        {
            Assert.Equal(group.Select(e => e.Id), applied.Where(a => a.Key == group.Key).Select(a => a.Id));
        }
    }

    [Fact]
    public async Task Events_written_through_an_Orleans_stream_become_keyed_records_and_come_back()
    {
        using var kafka = new TestKafka();
        var options = kafka.CreateTopics(partitions: 3);
        var ledger = Ledger.Create();
        await using var cluster = await StreamCluster.StartAsync(options);

        // Completes once the brokers acknowledged the records (acks=all), before any grain saw them.
        await cluster.Stream("alice").OnNextBatchAsync([ledger.Event("alice", "a1"), ledger.Event("alice", "a2")]);
        await cluster.Stream("bob").OnNextAsync(ledger.Event("bob", "b1"));

        await ledger.WaitForAsync(l => l.Distinct == 3, "three events applied");
        Assert.Equal(["a1", "a2"], ledger.Applications.Where(a => a.Key == "alice").Select(a => a.Id));
        await Assert.ThrowsAsync<ArgumentException>(() => cluster.Stream("alice").OnNextAsync(ledger.Event("bob", "b2")));
    }
}
