namespace CartRecovery.Deploy.Tests.Support;

/// <summary>The metric names the application exposes on /metrics (the deployment contract).</summary>
internal static class MetricContract
{
    public static readonly string[] Histograms =
    [
        "http_request_duration_seconds",
        "grain_call_duration_seconds",
        "checkpoint_duration_seconds",
    ];

    public static readonly string[] Names =
    [
        "http_requests_total",
        "http_request_duration_seconds",
        "signalr_connections",
        "events_ingested_total",
        "events_rejected_total",
        "nudges_total",
        "grain_activations",
        "grain_call_duration_seconds",
        "checkpoint_duration_seconds",
        "checkpoint_failures_total",
        "kafka_consumer_lag",
        "silo_owned_partitions",
        "grain_call_errors_total",
    ];

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
