using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Producing;
using CartRecovery.Streaming.Kafka.Tests.Support;

namespace CartRecovery.Streaming.Kafka.Tests.Providers;

/// <summary>
/// An offset is committed only once its record's delivery completed, so a silo that dies before that makes the next
/// reader deliver the record again, and one that dies after does not.
/// </summary>
[Collection(OrleansClusters.Name)]
public sealed class OffsetTests
{
    // Ten commit intervals: long enough for a wrong commit to happen if the provider would make one.
    private static readonly TimeSpan CommitWindow = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task An_offset_is_committed_only_after_its_delivery_completed()
    {
        using var kafka = new TestKafka();
        var options = kafka.CreateTopics(partitions: 1);
        options.CacheSize = 50;
        var ledger = Ledger.Create();
        ledger.Hold("held");
        await using var cluster = await StreamCluster.StartAsync(options);

        // Another stream's records around the held one are delivered meanwhile (offsets 0-19 and 21-40).
        await ProduceAsync(options, Around(ledger, "held"));
        await ledger.HoldReached("held");
        await ledger.WaitForAsync(l => l.Count("other-39") == 1, "the other stream delivered past the held record");
        await Poll.UntilAsync(() => Topics.Committed(options).GetValueOrDefault(0) == 20, "the records before the held one committed", TimeSpan.FromMilliseconds(100));
        await Task.Delay(CommitWindow);

        Assert.Equal(20, Topics.Committed(options)[0]);
        ledger.Release("held");
        await ledger.WaitForAsync(l => l.Count("held") == 1, "the held record applied");
        await Topics.WaitAllCommittedAsync(options);
        Assert.Equal(41, Topics.Committed(options)[0]);
    }

    [Fact]
    public async Task A_silo_killed_before_delivery_completed_leaves_the_record_to_the_next_silo()
    {
        using var kafka = new TestKafka();
        var options = kafka.CreateTopics(partitions: 1);
        options.CacheSize = 50;
        var ledger = Ledger.Create();
        ledger.Hold("held");
        await using (var first = await StreamCluster.StartAsync(options))
        {
            await ProduceAsync(options, Around(ledger, "held"));
            await ledger.HoldReached("held");
            await ledger.WaitForAsync(l => l.Count("other-39") == 1, "the other stream delivered past the held record");
            await Poll.UntilAsync(() => Topics.Committed(options).GetValueOrDefault(0) == 20, "the records before the held one committed", TimeSpan.FromMilliseconds(100));
            await first.Cluster.KillSiloAsync(first.Cluster.Silos[0]);

            // The dead silo's call fails: its effect never became durable.
            ledger.Release("held", complete: false);
        }

        Assert.Equal(20, Topics.Committed(options)[0]);
        await using var second = await StreamCluster.StartAsync(options);
        await ledger.WaitForAsync(l => l.Count("held") == 1, "the held record redelivered by the restarted silo");
        await Topics.WaitAllCommittedAsync(options);

        // What followed the held record was re-read too (not yet committed) and reached its grain again.
        Assert.Equal(1, ledger.Count("other-19"));
        Assert.Equal(2, ledger.Count("other-20"));
    }

    [Fact]
    public async Task A_silo_killed_after_delivery_completed_is_not_followed_by_a_redelivery()
    {
        using var kafka = new TestKafka();
        var options = kafka.CreateTopics(partitions: 1);
        var ledger = Ledger.Create();
        await using (var first = await StreamCluster.StartAsync(options))
        {
            await ProduceAsync(options, ledger.Event("k", "e1"));
            await ledger.WaitForAsync(l => l.Count("e1") == 1, "e1 applied");
            await Topics.WaitAllCommittedAsync(options);
            await first.Cluster.KillSiloAsync(first.Cluster.Silos[0]);
        }

        await using var second = await StreamCluster.StartAsync(options);
        await ProduceAsync(options, ledger.Event("k", "e2"));
        await ledger.WaitForAsync(l => l.Count("e2") == 1, "e2 applied by the restarted silo");

        Assert.Equal(1, ledger.Count("e1"));
    }

    /// <summary>Twenty records of another stream, the record <paramref name="id"/>, twenty more of the other stream.</summary>
    private static TestEvent[] Around(Ledger ledger, string id) =>
    [
        .. Enumerable.Range(0, 20).Select(i => ledger.Event("other", $"other-{i}")),
        ledger.Event("k", id),
        .. Enumerable.Range(20, 20).Select(i => ledger.Event("other", $"other-{i}")),
    ];

    private static async Task ProduceAsync(KafkaStreamOptions options, params TestEvent[] events)
    {
        using var producer = new KafkaEventProducer(options);
        await producer.ProduceAsync([.. events.Select(e => (e.Key, TestEvents.Json(e)))]);
    }
}
