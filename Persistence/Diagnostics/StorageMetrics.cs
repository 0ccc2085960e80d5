using System.Diagnostics.Metrics;

namespace CartRecovery.Persistence.Diagnostics;

/// <summary>
/// Names of the storage instruments (meter <see cref="MeterName"/>, every instrument tagged
/// <c>provider</c> = <c>sqlite</c> or <c>postgres</c>). Names follow the Prometheus conventions the
/// other CartRecovery meters use.
/// </summary>
public static class StorageMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "CartRecovery.Storage";

    /// <summary>Write transactions committed (counter).</summary>
    public const string TransactionsCommitted = "storage_transactions_total";

    /// <summary>Write transactions that failed as a whole; every write in them failed (counter).</summary>
    public const string TransactionsFailed = "storage_transaction_failures_total";

    /// <summary>Grain states written or cleared and committed (counter).</summary>
    public const string StatesWritten = "storage_states_written_total";

    /// <summary>State writes refused for a stale ETag (counter).</summary>
    public const string WriteConflicts = "storage_write_conflicts_total";

    /// <summary>Grain state reads answered (counter).</summary>
    public const string Reads = "storage_reads_total";

    /// <summary>Queries issued to answer state reads; below <see cref="Reads"/> when reads coalesce (counter).</summary>
    public const string ReadQueries = "storage_read_queries_total";

    /// <summary>Writes (states and reminders) per committed transaction (histogram).</summary>
    public const string BatchSize = "storage_batch_size";

    /// <summary>Time from the start of a write transaction to its commit, in seconds (histogram).</summary>
    public const string CommitDuration = "storage_commit_duration_seconds";

    /// <summary>The tag naming the provider.</summary>
    public const string ProviderTag = "provider";
}

// Created once per service container, through its meter factory, so each container's measurements
// can be told apart (tests listen to their own).
internal sealed class StorageInstruments
{
    public StorageInstruments(IMeterFactory? meterFactory = null)
    {
        var meter = meterFactory?.Create(StorageMetrics.MeterName) ?? new Meter(StorageMetrics.MeterName);
        Transactions = meter.CreateCounter<long>(StorageMetrics.TransactionsCommitted, description: "Write transactions committed");
        TransactionFailures = meter.CreateCounter<long>(StorageMetrics.TransactionsFailed, description: "Write transactions that failed as a whole");
        StatesWritten = meter.CreateCounter<long>(StorageMetrics.StatesWritten, description: "Grain states written or cleared");
        Conflicts = meter.CreateCounter<long>(StorageMetrics.WriteConflicts, description: "State writes refused for a stale ETag");
        Reads = meter.CreateCounter<long>(StorageMetrics.Reads, description: "Grain state reads");
        ReadQueries = meter.CreateCounter<long>(StorageMetrics.ReadQueries, description: "Queries issued for grain state reads");
        BatchSize = meter.CreateHistogram<long>(StorageMetrics.BatchSize, description: "Writes per committed transaction",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 5, 10, 50, 100, 500, 1000, 2000, 4096] });
        CommitDuration = meter.CreateHistogram<double>(StorageMetrics.CommitDuration, "s", "Write transaction latency",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
    }

    public Counter<long> Transactions { get; }

    public Counter<long> TransactionFailures { get; }

    public Counter<long> StatesWritten { get; }

    public Counter<long> Conflicts { get; }

    public Counter<long> Reads { get; }

    public Counter<long> ReadQueries { get; }

    public Histogram<long> BatchSize { get; }

    public Histogram<double> CommitDuration { get; }
}
