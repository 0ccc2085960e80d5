namespace CartRecovery.Deploy.Tests.Support;

/// <summary>The metric names the application exposes on /metrics (the deployment contract).</summary>
internal static class MetricContract
{
    /// <summary>Instruments the application's own sources define (Gateway, Grains, Persistence, Streaming.Kafka).</summary>
    public static readonly string[] Application =
    [
        "http_requests_total",
        "http_request_duration_seconds",
        "signalr_connections",
        "events_ingested_total",
        "events_rejected_total",
        "events_failed_total",
        "nudges_total",
        "grain_call_errors_total",
        "shopper_batch_duration_seconds",
        "storage_transactions_total",
        "storage_transaction_failures_total",
        "storage_states_written_total",
        "storage_write_conflicts_total",
        "storage_reads_total",
        "storage_read_queries_total",
        "storage_batch_size",
        "storage_commit_duration_seconds",
        "kafka_consumer_lag",
        "kafka_records_dead_lettered_total",
    ];

    /// <summary>
    /// Orleans' own instruments (meter Microsoft.Orleans) under the names the exporter gives them:
    /// no source of ours defines them, so a running app's /metrics is checked for them.
    /// </summary>
    public static readonly string[] Orleans =
    [
        "orleans_grains",
        "orleans_app_requests_latency_seconds",
        "orleans_consistent_ring_size",
    ];

    public static readonly string[] Histograms =
    [
        "http_request_duration_seconds",
        "shopper_batch_duration_seconds",
        "storage_batch_size",
        "storage_commit_duration_seconds",
        "orleans_app_requests_latency_seconds",
    ];

    public static IEnumerable<string> Names => Application.Concat(Orleans);

    /// <summary>The contract name a queried series belongs to (histogram series map to their histogram), or null.</summary>
    public static string? Owner(string series)
    {
        if (Names.Contains(series, StringComparer.Ordinal))
        {
            return series;
        }

        foreach (var suffix in new[] { "_bucket", "_count", "_sum" })
        {
            if (series.EndsWith(suffix, StringComparison.Ordinal) && Histograms.Contains(series[..^suffix.Length], StringComparer.Ordinal))
            {
                return series[..^suffix.Length];
            }
        }

        return null;
    }
}
