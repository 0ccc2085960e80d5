namespace CartRecovery.Runtime.Configuration;

/// <summary>Actor runtime settings (configuration section <c>Runtime</c>).</summary>
public sealed class RuntimeOptions
{
    public const string Section = "Runtime";

    /// <summary>Number of partitions keys hash into. Must equal the Kafka topic's partition count. Default 64.</summary>
    public int Partitions { get; set; } = 64;

    /// <summary>This silo's identity in ownership and membership tables. Default: host name and process id.</summary>
    public string SiloId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>A grain call that takes longer fails with a TimeoutException; its outcome is unknown. Default 30 s.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Activations unused this long are collected (state checkpointed first). Default 15 min.</summary>
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often idle activations are looked for. Default 30 s.</summary>
    public TimeSpan CollectionInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Write-behind interval: dirty states of a partition are checkpointed together at least this often. Default 200 ms.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// While a caller waits for durability (an ingest request is answered only once its events are
    /// checkpointed), checkpoints come at least this often instead of every <see cref="FlushInterval"/>
    /// (whichever is shorter). Default 50 ms.
    /// </summary>
    public TimeSpan AckFlushInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Size bound: a partition with this many dirty states is checkpointed without waiting for the interval. Default 2000.</summary>
    public int FlushMaxDirty { get; set; } = 2000;

    /// <summary>How often due reminders are looked for (due-time precision). Zero disables the loop (the caller drives reminders). Default 250 ms.</summary>
    public TimeSpan ReminderPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Own every partition at start (single silo). A cluster host sets false and lets Kafka assign them.</summary>
    public bool OwnAllPartitions { get; set; } = true;

    public void Validate()
    {
        static void Check(bool ok, string option, string reason)
        {
            if (!ok)
            {
                throw new InvalidOperationException($"{Section}:{option} {reason}");
            }
        }

        Check(Partitions is > 0 and <= 4096, nameof(Partitions), $"must be between 1 and 4096 (got {Partitions})");
        Check(!string.IsNullOrWhiteSpace(SiloId), nameof(SiloId), "must not be empty");
        Check(CallTimeout > TimeSpan.Zero, nameof(CallTimeout), "must be positive");
        Check(CollectionAge > TimeSpan.Zero, nameof(CollectionAge), "must be positive");
        Check(CollectionInterval > TimeSpan.Zero, nameof(CollectionInterval), "must be positive");
        Check(FlushInterval > TimeSpan.Zero, nameof(FlushInterval), "must be positive");
        Check(AckFlushInterval > TimeSpan.Zero, nameof(AckFlushInterval), "must be positive");
        Check(FlushMaxDirty > 0, nameof(FlushMaxDirty), "must be positive");
        Check(ReminderPollInterval >= TimeSpan.Zero && ReminderPollInterval <= TimeSpan.FromSeconds(1), nameof(ReminderPollInterval), "must be between 0 and 1 s (reminders are due within 1 s)");
    }
}
