using System.Globalization;
using Microsoft.Extensions.Options;

namespace CartRecovery.Streaming.Kafka.Configuration;

/// <summary>Fails the silo (or client) at start on a bad <c>Kafka</c> section, naming each bad key.</summary>
public sealed class KafkaStreamOptionsValidator : IValidateOptions<KafkaStreamOptions>
{
    // Kafka's own limits: longer names or other characters are rejected by the broker at runtime, far from the config.
    private const int MaxTopicLength = 249;
    private const string P = KafkaStreamOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, KafkaStreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Check(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every bad key (for code that builds options by hand).</summary>
    public static KafkaStreamOptions EnsureValid(KafkaStreamOptions options, string name = "")
    {
        var errors = Check(options);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(name, typeof(KafkaStreamOptions), errors);
        }

        return options;
    }

    /// <summary>Every problem, each message starting with the key it is about (e.g. <c>Kafka:Partitions</c>).</summary>
    public static IReadOnlyList<string> Check(KafkaStreamOptions o)
    {
        var errors = new List<string>();
        CheckBootstrap(o.BootstrapServers, errors);
        CheckTopic(o.EventsTopic, nameof(o.EventsTopic), errors);
        CheckTopic(o.DeadLetterTopic, nameof(o.DeadLetterTopic), errors);
        if (o.EventsTopic == o.DeadLetterTopic)
        {
            errors.Add($"{P}{nameof(o.DeadLetterTopic)} must differ from {P}{nameof(o.EventsTopic)} (both '{o.EventsTopic}')");
        }

        Required(o.ConsumerGroup, nameof(o.ConsumerGroup), errors);
        Required(o.StreamNamespace, nameof(o.StreamNamespace), errors);
        Required(o.ClientId, nameof(o.ClientId), errors);
        if (!KafkaPartitioners.IsKnown(o.Partitioner))
        {
            errors.Add($"{P}{nameof(o.Partitioner)} must be {KafkaPartitioners.Murmur2Random} or {KafkaPartitioners.ConsistentRandom} (got '{o.Partitioner}')");
        }

        if (o.SecurityProtocol is not ("plaintext" or "ssl" or "sasl_plaintext" or "sasl_ssl"))
        {
            errors.Add($"{P}{nameof(o.SecurityProtocol)} must be plaintext, ssl, sasl_plaintext or sasl_ssl (got '{o.SecurityProtocol}')");
        }
        else if (o.SecurityProtocol.StartsWith("sasl", StringComparison.Ordinal))
        {
            if (o.SaslMechanism is not ("PLAIN" or "SCRAM-SHA-256" or "SCRAM-SHA-512"))
            {
                errors.Add($"{P}{nameof(o.SaslMechanism)} must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 with {P}{nameof(o.SecurityProtocol)} {o.SecurityProtocol} (got '{o.SaslMechanism}')");
            }

            Required(o.SaslUsername, nameof(o.SaslUsername), errors);
            Required(o.SaslPassword, nameof(o.SaslPassword), errors);
        }

        if (o.AutoOffsetReset is not ("earliest" or "latest"))
        {
            errors.Add($"{P}{nameof(o.AutoOffsetReset)} must be earliest or latest (got '{o.AutoOffsetReset}')");
        }

        Range(o.Partitions, 1, 100_000, nameof(o.Partitions), errors);
        Range(o.LingerMs, 0, 900_000, nameof(o.LingerMs), errors);
        Range(o.CommitIntervalMs, 10, 3_600_000, nameof(o.CommitIntervalMs), errors);
        Range(o.FetchWaitMaxMs, 0, 300_000, nameof(o.FetchWaitMaxMs), errors);
        Range(o.MaxBufferedPerPartition, 1, 10_000_000, nameof(o.MaxBufferedPerPartition), errors);
        Range(o.CacheSize, 10, 10_000_000, nameof(o.CacheSize), errors);
        Range(o.MaxDeliveryBatch, 1, 100_000, nameof(o.MaxDeliveryBatch), errors);
        Positive(o.MaxDeliveryTime, nameof(o.MaxDeliveryTime), errors);
        Positive(o.HandoverTimeout, nameof(o.HandoverTimeout), errors);
        return errors;
    }

    private static void CheckBootstrap(string? value, List<string> errors)
    {
        var name = P + nameof(KafkaStreamOptions.BootstrapServers);
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{name} is required (host:port[,host:port...])");
            return;
        }

        foreach (var entry in value.Split(',', StringSplitOptions.TrimEntries))
        {
            // An optional scheme prefix such as PLAINTEXT:// is accepted, as librdkafka does.
            var hostPort = entry.Contains("://", StringComparison.Ordinal) ? entry[(entry.IndexOf("://", StringComparison.Ordinal) + 3)..] : entry;
            var colon = hostPort.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                errors.Add($"{name} entry '{entry}' is not host:port with a port in 1..65535");
            }
        }
    }

    private static void CheckTopic(string? value, string key, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{P}{key} is required");
        }
        else if (value.Length > MaxTopicLength || value is "." or ".." || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            errors.Add($"{P}{key} '{value}' is not a valid topic name (1-{MaxTopicLength} of [a-zA-Z0-9._-], not '.' or '..')");
        }
    }

    private static void Required(string? value, string key, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{P}{key} is required");
        }
    }

    private static void Range(int value, int min, int max, string key, List<string> errors)
    {
        if (value < min || value > max)
        {
            errors.Add($"{P}{key} must be between {min} and {max} (got {value})");
        }
    }

    private static void Positive(TimeSpan value, string key, List<string> errors)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{P}{key} must be positive (got {value})");
        }
    }
}
