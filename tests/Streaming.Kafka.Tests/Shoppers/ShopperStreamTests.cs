using System.Text.Json;
using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Hosting;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Json;
using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.DeadLetters;
using CartRecovery.Streaming.Kafka.Producing;
using CartRecovery.Streaming.Kafka.Tests.Support;
using CartRecovery.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;

namespace CartRecovery.Streaming.Kafka.Tests.Shoppers;

/// <summary>
/// The product's own wiring end to end: storefront events through the gateway's stream event bus (or any keyed
/// producer) to Kafka, through the provider to the real shopper grain, its carts and sessions, over SQLite.
/// </summary>
[Collection(OrleansClusters.Name)]
public sealed class ShopperStreamTests
{
    [Fact]
    public async Task Storefront_events_reach_the_shopper_grain_once_in_effect_and_a_replay_changes_nothing()
    {
        using var kafka = new TestKafka();
        var options = kafka.CreateTopics(partitions: 4);
        using var database = new TempSqliteFile("cr-kafka-");
        await using var cluster = await StartAsync(options, database);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var adds = Enumerable.Range(0, 5).Select(i => Add($"ada-{i}", "ada", now.AddSeconds(i))).ToList();
        var others = Enumerable.Range(0, 20).Select(i => Add($"bo-{i}", $"bo-{i % 4}", now.AddSeconds(i))).ToList();

        // The gateway's path: validation, then the stream event bus, answered once Kafka acknowledged.
        var ingestor = cluster.Silos[0].ServiceProvider.GetRequiredService<EventIngestor>();
        var result = await ingestor.IngestAsync([.. adds, .. others], "test", CancellationToken.None);
        Assert.Equal(25, result.Accepted);

        var grains = cluster.Client;
        await Poll.UntilAsync(() => Quantity(grains, "ada") == 5 && Enumerable.Range(0, 4).All(i => Quantity(grains, $"bo-{i}") == 5), "every cart filled");
        await Topics.WaitAllCommittedAsync(options);

        // A producer that retried a whole batch, or a replay from an older offset: the same event ids again.
        using (var producer = new KafkaEventProducer(options))
        {
            await producer.ProduceAsync([.. adds.Select(e => (e.ShopperId, JsonSerializer.SerializeToUtf8Bytes(e, GrainsJsonContext.Default.StorefrontEvent)))]);
            var marker = Add("marker", "ada", now.AddSeconds(30), cart: "c2");
            await producer.ProduceAsync("ada", JsonSerializer.SerializeToUtf8Bytes(marker, GrainsJsonContext.Default.StorefrontEvent));
        }

        await Poll.UntilAsync(() => grains.GetGrain<IShopperGrain>("ada").Get().Result.RecentEventIds.Contains("marker"), "the marker applied");
        Assert.Equal(5, Quantity(grains, "ada"));
        Assert.Equal(6, (await grains.GetGrain<IShopperGrain>("ada").Get()).RecentEventIds.Count);
    }

    [Fact]
    public async Task A_storefront_event_the_validator_refuses_is_dead_lettered_with_the_field_and_reason()
    {
        using var kafka = new TestKafka();
        var options = kafka.CreateTopics(partitions: 1);
        using var database = new TempSqliteFile("cr-kafka-");
        await using var cluster = await StartAsync(options, database);
        var bad = Add("bad-1", "cy", DateTimeOffset.UtcNow);
        bad.Item!.Quantity = 0;
        var good = Add("good-1", "cy", DateTimeOffset.UtcNow);

        using (var producer = new KafkaEventProducer(options))
        {
            await producer.ProduceAsync([.. new[] { bad, good }.Select(e => (e.ShopperId, JsonSerializer.SerializeToUtf8Bytes(e, GrainsJsonContext.Default.StorefrontEvent)))]);
        }

        await Poll.UntilAsync(() => Quantity(cluster.Client, "cy") == 1, "the valid event applied");
        var dead = Assert.Single(Topics.DeadLetters(options, 1));
        Assert.Equal("invalid: item.quantity must be at least 1", Topics.Header(dead, DeadLetterHeaders.Reason));
    }

    private static StorefrontEvent Add(string id, string shopper, DateTimeOffset at, string cart = "c1") => new()
    {
        EventId = id,
        Type = EventTypes.AddToCart,
        ShopperId = shopper,
        SessionId = shopper + "-s1",
        CartId = cart,
        OccurredAt = at,
        Item = new ItemInfo { Sku = "sku-1", Name = "Mug", Price = 12.5, Quantity = 1, Currency = "EUR" },
    };

    private static int Quantity(IGrainFactory grains, string shopper) =>
        grains.GetGrain<ICartGrain>($"{shopper}/c1").Get().Result.Lines.Sum(l => l.Quantity);

    /// <summary>One silo over <paramref name="database"/>; dispose the cluster before the database.</summary>
    private static async Task<InProcessTestCluster> StartAsync(KafkaStreamOptions options, TempSqliteFile database)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = database.ConnectionString,
            ["Events:Provider"] = "Kafka",
            ["Kafka:BootstrapServers"] = options.BootstrapServers,
            ["Kafka:EventsTopic"] = options.EventsTopic,
            ["Kafka:DeadLetterTopic"] = options.DeadLetterTopic,
            ["Kafka:ConsumerGroup"] = options.ConsumerGroup,
            ["Kafka:Partitions"] = options.Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Kafka:CommitIntervalMs"] = "100",
            ["Kafka:LingerMs"] = "1",
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Logging.SetMinimumLevel(LogLevel.Warning);
            host.Services.AddCartRecoveryGrains(configuration);
        });
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddCartRecoveryStorage(configuration);
            silo.AddCartRecoveryEventStreams(configuration);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}
