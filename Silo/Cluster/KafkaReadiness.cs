using CartRecovery.Gateway.Api;
using CartRecovery.Kafka.Admin;
using CartRecovery.Kafka.Configuration;

namespace CartRecovery.Silo.Cluster;

/// <summary>Ready only while the brokers answer a metadata request for the events topic.</summary>
internal sealed class KafkaReadiness(KafkaOptions options) : IReadinessCheck
{
    public string Name => "kafka";

    public async Task<(bool Ok, string Detail)> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            var ends = await Task.Run(() => KafkaTopics.GetEndOffsets(options, options.EventsTopic, TimeSpan.FromSeconds(2)), cancellationToken);
            return (ends.Count > 0, $"{options.EventsTopic}: {ends.Count} partitions");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (false, "kafka unreachable: " + e.Message);
        }
    }
}
