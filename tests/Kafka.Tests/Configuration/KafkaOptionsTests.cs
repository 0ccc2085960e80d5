using CartRecovery.Kafka.Configuration;

namespace CartRecovery.Kafka.Tests.Configuration;

public sealed class KafkaOptionsTests
{
    [Fact]
    public void Defaults_with_a_bootstrap_server_are_valid()
    {
        var options = new KafkaOptions { BootstrapServers = "kafka-1:9092,kafka-2:9092" };

        Assert.Empty(options.GetValidationErrors());
        Assert.Equal(("cart-events", "nudges", "cart-events-dlq", "silos", 64), (options.EventsTopic, options.NudgesTopic, options.DeadLetterTopic, options.ConsumerGroup, options.Partitions));
    }

    [Theory]
    [InlineData("", "Kafka:BootstrapServers is required")]
    [InlineData("kafka-1", "Kafka:BootstrapServers entry 'kafka-1' is not host:port")]
    [InlineData("kafka-1:99999", "Kafka:BootstrapServers entry 'kafka-1:99999'")]
    public void Bad_bootstrap_servers_are_named(string servers, string expected)
    {
        var errors = new KafkaOptions { BootstrapServers = servers }.GetValidationErrors();

        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_invalid_setting_is_reported_at_once_by_name()
    {
        var options = new KafkaOptions
        {
            BootstrapServers = "localhost:9092",
            EventsTopic = "cart events",
            DeadLetterTopic = "nudges",
            ConsumerGroup = " ",
            Partitions = 0,
            HeartbeatIntervalMs = 20_000,
            MaxBatchSize = 100,
            MaxInFlightPerPartition = 10,
            AssignmentStrategy = "sticky",
        };

        var error = Assert.Throws<ArgumentException>(() => options.Validate()).Message;

        foreach (var name in new[] { "EventsTopic 'cart events'", "DeadLetterTopic", "ConsumerGroup", "Partitions", "HeartbeatIntervalMs", "MaxInFlightPerPartition", "AssignmentStrategy" })
        {
            Assert.Contains("Kafka:" + name, error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_options_validator_fails_a_host_on_bad_settings()
    {
        var result = new KafkaOptionsValidator().Validate(null, new KafkaOptions());

        Assert.True(result.Failed);
        Assert.Contains("Kafka:BootstrapServers", result.FailureMessage, StringComparison.Ordinal);
    }
}
