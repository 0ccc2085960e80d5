using System.Globalization;

namespace CartRecovery.Kafka.Configuration;

internal static class KafkaOptionsValidation
{
    // Kafka's own limits: longer names or other characters are rejected by the broker at runtime, far from the config.
    private const int MaxTopicLength = 249;

    public static IReadOnlyList<string> Check(KafkaOptions o)
    {
        var errors = new List<string>();
        var p = KafkaOptions.SectionName + ":";

        CheckBootstrap(o.BootstrapServers, p + nameof(KafkaOptions.BootstrapServers), errors);
        CheckTopic(o.EventsTopic, p + nameof(KafkaOptions.EventsTopic), errors);
        CheckTopic(o.NudgesTopic, p + nameof(KafkaOptions.NudgesTopic), errors);
        CheckTopic(o.DeadLetterTopic, p + nameof(KafkaOptions.DeadLetterTopic), errors);

        var topics = new[] { o.EventsTopic, o.NudgesTopic, o.DeadLetterTopic };
        if (topics.Distinct(StringComparer.Ordinal).Count() != topics.Length)
        {
            errors.Add($"{p}EventsTopic, {p}NudgesTopic and {p}DeadLetterTopic must be three different topics (got '{o.EventsTopic}', '{o.NudgesTopic}', '{o.DeadLetterTopic}')");
        }

        if (string.IsNullOrWhiteSpace(o.ConsumerGroup))
        {
            errors.Add($"{p}{nameof(KafkaOptions.ConsumerGroup)} is required");
        }

        if (string.IsNullOrWhiteSpace(o.ClientId))
        {
            errors.Add($"{p}{nameof(KafkaOptions.ClientId)} is required");
        }

        Range(o.Partitions, 1, 100_000, p + nameof(KafkaOptions.Partitions), errors);
        Range(o.SessionTimeoutMs, 1_000, 3_600_000, p + nameof(KafkaOptions.SessionTimeoutMs), errors);
        Range(o.HeartbeatIntervalMs, 1, 3_600_000, p + nameof(KafkaOptions.HeartbeatIntervalMs), errors);
        if (o.HeartbeatIntervalMs >= o.SessionTimeoutMs)
        {
            errors.Add($"{p}{nameof(KafkaOptions.HeartbeatIntervalMs)} ({o.HeartbeatIntervalMs}) must be lower than {p}{nameof(KafkaOptions.SessionTimeoutMs)} ({o.SessionTimeoutMs})");
        }

        Range(o.MaxPollIntervalMs, 1, 86_400_000, p + nameof(KafkaOptions.MaxPollIntervalMs), errors);
        if (o.MaxPollIntervalMs < o.SessionTimeoutMs)
        {
            errors.Add($"{p}{nameof(KafkaOptions.MaxPollIntervalMs)} ({o.MaxPollIntervalMs}) must be at least {p}{nameof(KafkaOptions.SessionTimeoutMs)} ({o.SessionTimeoutMs})");
        }

        Range(o.AutoCommitIntervalMs, 1, 3_600_000, p + nameof(KafkaOptions.AutoCommitIntervalMs), errors);
        Range(o.FetchWaitMaxMs, 0, 300_000, p + nameof(KafkaOptions.FetchWaitMaxMs), errors);
        Range(o.LingerMs, 0, 900_000, p + nameof(KafkaOptions.LingerMs), errors);
        Range(o.MaxBatchSize, 1, 1_000_000, p + nameof(KafkaOptions.MaxBatchSize), errors);
        if (o.MaxInFlightPerPartition < o.MaxBatchSize)
        {
            errors.Add($"{p}{nameof(KafkaOptions.MaxInFlightPerPartition)} ({o.MaxInFlightPerPartition}) must be at least {p}{nameof(KafkaOptions.MaxBatchSize)} ({o.MaxBatchSize})");
        }

        var strategies = (o.AssignmentStrategy ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (strategies.Length == 0 || strategies.Any(s => s is not ("range" or "roundrobin" or "cooperative-sticky")))
        {
            errors.Add($"{p}{nameof(KafkaOptions.AssignmentStrategy)} must list range, roundrobin or cooperative-sticky (got '{o.AssignmentStrategy}')");
        }
        else if (strategies.Contains("cooperative-sticky") && strategies.Length > 1)
        {
            errors.Add($"{p}{nameof(KafkaOptions.AssignmentStrategy)} cannot mix cooperative-sticky with eager strategies (got '{o.AssignmentStrategy}')");
        }

        return errors;
    }

    private static void CheckBootstrap(string? value, string name, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{name} is required (host:port[,host:port...])");
            return;
        }

        foreach (var entry in value.Split(',', StringSplitOptions.TrimEntries))
        {
            // Accepts an optional scheme prefix such as PLAINTEXT:// as librdkafka does.
            var hostPort = entry.Contains("://", StringComparison.Ordinal) ? entry[(entry.IndexOf("://", StringComparison.Ordinal) + 3)..] : entry;
            var colon = hostPort.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                errors.Add($"{name} entry '{entry}' is not host:port with a port in 1..65535");
            }
        }
    }

    private static void CheckTopic(string? value, string name, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{name} is required");
        }
        else if (value.Length > MaxTopicLength || value is "." or ".." || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            errors.Add($"{name} '{value}' is not a valid topic name (1-{MaxTopicLength} of [a-zA-Z0-9._-], not '.' or '..')");
        }
    }

    private static void Range(int value, int min, int max, string name, List<string> errors)
    {
        if (value < min || value > max)
        {
            errors.Add($"{name} must be between {min} and {max} (got {value})");
        }
    }
}
