using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Hosting;
using CartRecovery.Streaming.Kafka.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Orleans.TestingHost;

namespace CartRecovery.Streaming.Kafka.Tests.Configuration;

public sealed class KafkaStreamOptionsTests
{
    [Fact]
    public void Defaults_with_a_bootstrap_server_are_valid_and_keep_the_existing_keys()
    {
        var options = new KafkaStreamOptions { BootstrapServers = "kafka-1:9092,kafka-2:9092" };

        Assert.Empty(KafkaStreamOptionsValidator.Check(options));
        Assert.Equal(("cart-events", "cart-events-dlq", "silos", 64), (options.EventsTopic, options.DeadLetterTopic, options.ConsumerGroup, options.Partitions));
    }

    [Theory]
    [InlineData("", "Kafka:BootstrapServers is required")]
    [InlineData("kafka-1", "Kafka:BootstrapServers entry 'kafka-1' is not host:port")]
    [InlineData("kafka-1:99999", "Kafka:BootstrapServers entry 'kafka-1:99999'")]
    public void Bad_bootstrap_servers_are_named(string servers, string expected)
    {
        var errors = KafkaStreamOptionsValidator.Check(new KafkaStreamOptions { BootstrapServers = servers });

        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_invalid_setting_is_reported_at_once_by_its_key()
    {
        var options = new KafkaStreamOptions
        {
            BootstrapServers = "localhost:9092",
            EventsTopic = "cart events",
            DeadLetterTopic = "",
            ConsumerGroup = " ",
            Partitions = 0,
            Partitioner = "random",
            SecurityProtocol = "sasl_ssl",
            CacheSize = 1,
            MaxDeliveryTime = TimeSpan.Zero,
            AutoOffsetReset = "smallest",
        };

        var error = Assert.Throws<OptionsValidationException>(() => KafkaStreamOptionsValidator.EnsureValid(options)).Message;

        foreach (var key in new[] { "EventsTopic 'cart events'", "DeadLetterTopic", "ConsumerGroup", "Partitions", "Partitioner", "SaslMechanism", "SaslUsername", "SaslPassword", "CacheSize", "MaxDeliveryTime", "AutoOffsetReset" })
        {
            Assert.Contains("Kafka:" + key, error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Event_hubs_kafka_endpoint_settings_are_accepted()
    {
        var options = new KafkaStreamOptions
        {
            BootstrapServers = "example.servicebus.windows.net:9093",
            SecurityProtocol = "sasl_ssl",
            SaslMechanism = "PLAIN",
            SaslUsername = "$ConnectionString",
            SaslPassword = "Endpoint=sb://example.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=s",
        };

        Assert.Empty(KafkaStreamOptionsValidator.Check(options));
    }

    [Fact]
    public async Task A_silo_with_a_bad_Kafka_section_does_not_start_and_names_the_key()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = "localhost:9092",
            ["Kafka:Partitions"] = "-1",
        }).Build().GetSection("Kafka");
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.AddKafkaStreams("kafka", section, _ => TestEvents.Codec()));
        builder.Options.InitializeClientOnDeploy = false;
        await using var cluster = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => cluster.DeployAsync());

        Assert.Contains("Kafka:Partitions must be between 1 and 100000 (got -1)", error.ToString(), StringComparison.Ordinal);
    }
}
