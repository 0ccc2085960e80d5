using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CartRecovery.Cluster.Tests.Support;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Json;
using CartRecovery.Kafka.DeadLetters;
using CartRecovery.Kafka.Native;
using CartRecovery.Kafka.Producing;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace CartRecovery.Cluster.Tests;

/// <summary>
/// Records a silo cannot apply (not JSON, or a v1 event that fails validation) go to the
/// dead-letter topic with the reason in a header, and the partition moves on to the next record.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PoisonMessageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Garbage_and_invalid_events_are_dead_lettered_and_the_partition_moves_on()
    {
        await using var cluster = await TestCluster.StartAsync(output);
        await cluster.StartSiloAsync("silo1");
        await cluster.WaitForOwnersAsync(["silo1"], TimeSpan.FromSeconds(60));

        const string shopper = "poison-shopper";
        var partition = Workload.PartitionOf(shopper);
        var garbage = new byte[] { 0xff, 0xfe, 0x00, 0x7b, 0x22, 0x9c, 0x01 };
        var invalid = Event("poison-invalid", -3);
        var valid = Event("poison-valid", 2);

        using (var producer = new KafkaEventProducer(cluster.KafkaOptions, Workload.PartitionOf))
        {
            await producer.ProduceBatchAsync(
            [
                (shopper, garbage),
                (shopper, JsonSerializer.SerializeToUtf8Bytes(invalid, GrainsJsonContext.Default.StorefrontEvent)),
                (shopper, JsonSerializer.SerializeToUtf8Bytes(valid, GrainsJsonContext.Default.StorefrontEvent)),
            ]);
        }

        // Both bad records are on the dead-letter topic, with why and where they came from.
        var dead = await ReadDeadLettersAsync(cluster, count: 2, TimeSpan.FromSeconds(60));
        Assert.Equal(2, dead.Count);
        Assert.All(dead, m =>
        {
            Assert.Equal(shopper, m.Message.Key);
            Assert.Equal("cart-events", Header(m, DeadLetterHeaders.SourceTopic));
            Assert.Equal(partition.ToString(), Header(m, DeadLetterHeaders.SourcePartition));
            Assert.False(string.IsNullOrWhiteSpace(Header(m, DeadLetterHeaders.Reason)));
        });
        var byValue = dead.ToDictionary(m => Convert.ToHexString(m.Message.Value));
        var garbageRecord = byValue[Convert.ToHexString(garbage)];
        Assert.StartsWith("not a v1 event", Header(garbageRecord, DeadLetterHeaders.Reason));
        var invalidRecord = dead.Single(m => m != garbageRecord);
        Assert.Equal("poison-invalid", JsonSerializer.Deserialize(invalidRecord.Message.Value, GrainsJsonContext.Default.StorefrontEvent)!.EventId);
        Assert.Contains("item.quantity", Header(invalidRecord, DeadLetterHeaders.Reason));
        output.WriteLine($"dead letters: {string.Join(" | ", dead.Select(m => Header(m, DeadLetterHeaders.Reason)))}");

        // The valid event behind them was applied and checkpointed; the partition is not stuck.
        await cluster.WaitCaughtUpAsync(TimeSpan.FromSeconds(60));
        var carts = await cluster.CartsAsync();
        var cart = Assert.Contains($"{shopper}/poison-cart", carts);
        var line = Assert.Single(cart.Lines);
        Assert.Equal(("sku-ok", 2), (line.Sku, line.Quantity));
        Assert.Equal(2 * 12.5, cart.Value, 6);
        Assert.Single(carts);
    }

    private static StorefrontEvent Event(string id, int quantity) => new()
    {
        EventId = id,
        Type = EventTypes.AddToCart,
        ShopperId = "poison-shopper",
        SessionId = "poison-session",
        CartId = "poison-cart",
        OccurredAt = DateTimeOffset.UtcNow,
        Item = new ItemInfo { Sku = quantity > 0 ? "sku-ok" : "sku-bad", Name = "item", Price = 12.5, Quantity = quantity, Currency = "EUR" },
    };

    private static string? Header(ConsumeResult<string?, byte[]> m, string name) =>
        m.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;

    /// <summary>Reads the dead-letter topic from the beginning with a plain consumer (no group offsets).</summary>
    private static Task<List<ConsumeResult<string?, byte[]>>> ReadDeadLettersAsync(TestCluster cluster, int count, TimeSpan timeout) => Task.Run(() =>
    {
        KafkaNative.EnsureLoaded();
        var config = new ConsumerConfig
        {
            BootstrapServers = cluster.Kafka.BootstrapServers,
            GroupId = "dlq-reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        using var consumer = new ConsumerBuilder<string?, byte[]>(config).Build();
        consumer.Assign(Enumerable.Range(0, TestCluster.Partitions).Select(p => new TopicPartitionOffset(cluster.KafkaOptions.DeadLetterTopic, p, Offset.Beginning)));
        var records = new List<ConsumeResult<string?, byte[]>>();
        var watch = Stopwatch.StartNew();
        while (records.Count < count && watch.Elapsed < timeout)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { Message: not null } result)
            {
                records.Add(result);
            }
        }

        // Nothing else should follow: the valid event is not a dead letter.
        while (consumer.Consume(TimeSpan.FromSeconds(2)) is { Message: not null } extra)
        {
            records.Add(extra);
        }

        consumer.Close();
        return records;
    });
}
