using CartRecovery.Streaming.Kafka.Configuration;
using System.Text;
using CartRecovery.Streaming.Kafka.DeadLetters;
using CartRecovery.Streaming.Kafka.Producing;
using CartRecovery.Streaming.Kafka.Tests.Support;

namespace CartRecovery.Streaming.Kafka.Tests.Providers;

/// <summary>Records that cannot be delivered go to the dead-letter topic with the reason; their partition moves on.</summary>
[Collection(OrleansClusters.Name)]
public sealed class DeadLetterTests
{
    [Fact]
    public async Task Poison_records_are_dead_lettered_with_a_reason_and_later_records_keep_flowing()
    {
        using var kafka = new TestKafka();
        var options = kafka.CreateTopics(partitions: 2);
        var ledger = Ledger.Create();
        await using var cluster = await StreamCluster.StartAsync(options);

        var k = Encoding.UTF8.GetBytes("k");
        await Topics.ProduceRawAsync(options,
            (k, TestEvents.Json(ledger.Event("k", "good-1"))),
            (k, Encoding.UTF8.GetBytes("{not json")),
            (null, TestEvents.Json(ledger.Event("k", "keyless"))),
            (k, TestEvents.Json(ledger.Event("k", ""))),
            (k, TestEvents.Json(ledger.Event("someone-else", "wrong-key"))),
            ([0xff, 0xfe], TestEvents.Json(ledger.Event("k", "binary-key"))),
            (k, TestEvents.Json(ledger.Event("k", "good-2"))));

        await ledger.WaitForAsync(l => l.Count("good-2") == 1, "the record after the poison applied");
        var dead = Topics.DeadLetters(options, 5);
        await Topics.WaitAllCommittedAsync(options);

        Assert.Equal(["good-1", "good-2"], ledger.Applications.Select(a => a.Id));
        var reasons = dead.Select(d => Topics.Header(d, DeadLetterHeaders.Reason)!).ToList();
        Assert.Equal(5, reasons.Count);
        Assert.Contains(reasons, r => r.Contains("not a valid TestEvent JSON document", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("has no key", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("invalid: id is required", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("differs from the event's own key 'someone-else'", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("not UTF-8", StringComparison.Ordinal));
        var notJson = dead.Single(d => Topics.Header(d, DeadLetterHeaders.Reason)!.Contains("JSON", StringComparison.Ordinal));
        Assert.Equal("{not json", Encoding.UTF8.GetString(notJson.Message.Value!));
        Assert.Equal(options.EventsTopic, Topics.Header(notJson, DeadLetterHeaders.SourceTopic));
        Assert.Equal("1", Topics.Header(notJson, DeadLetterHeaders.SourceOffset));
    }

    [Fact]
    public async Task A_record_its_consumer_keeps_refusing_is_dead_lettered_after_the_delivery_time_and_the_stream_moves_on()
    {
        using var kafka = new TestKafka();
        var options = kafka.CreateTopics(partitions: 1);
        options.MaxDeliveryTime = TimeSpan.FromSeconds(2);
        var ledger = Ledger.Create();
        ledger.FailAlways("bad");
        await using var cluster = await StreamCluster.StartAsync(options);
        using var producer = new KafkaEventProducer(options);

        await producer.ProduceAsync("k", TestEvents.Json(ledger.Event("k", "ok-1")));
        await ledger.WaitForAsync(l => l.Count("ok-1") == 1, "ok-1 applied");
        await producer.ProduceAsync("k", TestEvents.Json(ledger.Event("k", "bad")));
        await ledger.Refused("bad");
        await producer.ProduceAsync("k", TestEvents.Json(ledger.Event("k", "ok-2")));

        await ledger.WaitForAsync(l => l.Count("ok-2") == 1, "ok-2 applied after bad was given up");
        var dead = Assert.Single(Topics.DeadLetters(options, 1));
        await Topics.WaitAllCommittedAsync(options);

        Assert.Contains("\"bad\"", Encoding.UTF8.GetString(dead.Message.Value!), StringComparison.Ordinal);
        Assert.StartsWith("delivery failed", Topics.Header(dead, DeadLetterHeaders.Reason), StringComparison.Ordinal);
        Assert.Equal(0, ledger.Count("bad"));
    }
}
