using CartRecovery.TestSupport;
using System.Diagnostics;
using CartRecovery.Bench.Infrastructure;
using CartRecovery.Bench.Kafka;
using CartRecovery.Bench.Support;
using CartRecovery.Persistence.Diagnostics;
using CartRecovery.Persistence.Migrations;
using CartRecovery.Silo;
using CartRecovery.Streaming.Kafka.Admin;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;

namespace CartRecovery.Bench.Scenarios;

/// <summary>
/// Events through Kafka into durable grain state on one silo: cart-events (librdkafka's mock cluster, in this process)
/// is preloaded with real REES46 events (one record per event, keyed by shopper, fresh ids, written with the product's
/// producer), then the product starts, <see cref="SiloApp"/> as it ships with <c>Events:Provider=Kafka</c> and grain
/// state in PostgreSQL (a throw-away database on <c>CARTRECOVERY_TEST_PG</c>), and works the topic off: the Kafka
/// stream provider's pulling agents deliver each shopper's records to its shopper grain, whose Apply reaches the
/// session and cart grains and returns once their states and its own are committed. An event counts as applied when
/// the delivery that carried it returned (<see cref="DeliveryCounter"/>, an incoming grain call filter); the value is
/// events/s between 10% and 90% of the topic applied (start-up and the tail left out; the rate from start to the last
/// event, and the rate below the provider's commit watermark, read from its own <c>kafka_consumer_lag</c> gauge, are
/// in the details).
/// Baseline in the same run, same topic, same database server: a plain Confluent.Kafka consumer (one thread, every
/// partition assigned, no Orleans) that decodes each record, keeps one state per shopper, shopper/session and
/// shopper/cart key (<see cref="PlainStates"/>: the product's keys, JSON of similar content, sizes in the details) and
/// per batch of up to --batch records upserts every changed state in one transaction (INSERT ... SELECT FROM unnest ...
/// ON CONFLICT DO UPDATE), then commits the batch's offsets. Also measured: the same consumer without storage
/// (records/s: what the mock brokers and librdkafka deliver here), CPU per event of both, and kill-to-served failover:
/// two silos as child processes (Redis membership on <c>CARTRECOVERY_TEST_REDIS</c>), one killed with SIGKILL, the
/// time until the survivor reads its partitions (taken) and has applied an event produced to each after the kill
/// (served); see <see cref="Failover"/>. Without Redis the failover is skipped and says so.
/// The mock brokers keep records in memory and share the 2 cores with everything else: absolute rates are this
/// machine's, the ratio is the result.
/// Goal: at least 50% of the plain consumer with storage.
/// The topic starts with a warm-up head of other shoppers' records (--warmup N, 200000; 0 for none), and both sides
/// are measured between 10% and 90% of the records after it: each is then a process that has been working for a while
/// (the product's hot code compiled by the JIT's optimizing tier: Orleans' code is large, and a cold silo spends its
/// first seconds compiling it), as a silo that has run for hours is. The product's CPU per event in that window, and
/// what the JIT still compiled in it, are in the details.
/// Options: --events N (400000), --partitions N (64, the product's default Kafka:Partitions; the mock broker keeps only a few MB
/// per partition, so more events need more partitions), --batch N (2000, the baseline's records per transaction),
/// --no-failover, --trace (progress every second, CPU by thread and allocations by type of the product's run),
/// --no-ceiling (skips the ceiling run: the product once more, in a consumer group of its own, with a grain storage
/// that serializes each state and discards it, <see cref="DiscardingGrainStorage"/>; its events/s, CPU per event and
/// ratio to the baseline are in the details as the bound no storage provider can lift the product above). The ceiling
/// runs before the product, in the same process: the first app to work off the topic grows the process from about 1
/// to 3.4 GB, and the first touch of each new memory page lands on it (bench/README.md).
/// The process runs with the GC setting the Helm chart gives silo pods (<see cref="ChartGc.Silo"/>, a young-generation
/// budget of its own; the scenario restarts itself with it when it is not set), the plain consumer in it as well.
/// </summary>
public sealed class KafkaBench : IScenario
{
    public string Name => "kafka";

    public string Description => "cart-events (mock Kafka) to durable grain state on one silo, events/s vs a plain consumer upserting to PostgreSQL; failover";

    public async Task<BenchResult> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (Failover.IsChild(args))
        {
            await Failover.RunChildAsync(args);
            Console.Out.Flush();
            Environment.Exit(0);
        }

        // The silo is measured as the chart runs silos (its failover children inherit the setting).
        if (!ChartGc.Silo.Applied)
        {
            Environment.Exit(await ChartGc.Silo.RunAsChildAsync(["kafka", .. args]));
        }

        var count = BenchOptions.Int(args, "--events", 400_000);
        var partitions = BenchOptions.Int(args, "--partitions", 64);
        var batch = BenchOptions.Int(args, "--batch", 2000);
        var warmupCount = BenchOptions.Int(args, "--warmup", 200_000);
        var failover = !BenchOptions.Flag(args, "--no-failover");
        var trace = BenchOptions.Flag(args, "--trace");
        var redis = Environment.GetEnvironmentVariable("CARTRECOVERY_TEST_REDIS") is { Length: > 0 } r ? r : "127.0.0.1:6379";
        var details = new Dictionary<string, double>
        {
            ["load_average_before"] = MachineLoad.Check(Name),
            ["events"] = count,
            ["partitions"] = partitions,
            ["baseline_batch_records"] = batch,
        };

        var t = Stopwatch.GetTimestamp();
        var warmupRecords = Rees46Records.Build(warmupCount, tag: "w");
        var records = Rees46Records.Build(count);
        details["record_bytes_avg"] = Math.Round(records.Average(x => (double)x.Value.Length));
        BenchLog.Info($"kafka bench: {records.Count:N0} REES46 events as records ({details["record_bytes_avg"]} bytes each) built in {Stopwatch.GetElapsedTime(t).TotalSeconds:0.0} s");

        using var kafka = BenchKafka.Start(partitions);
        t = Stopwatch.GetTimestamp();
        // The warm-up records first, so in every partition they come before the measured ones.
        var head = (await kafka.ProduceAsync(BenchKafka.Topic, warmupRecords, cancellationToken)).Values.Sum();
        var ends = await kafka.ProduceAsync(BenchKafka.Topic, records, cancellationToken);
        details["preload_records_per_sec"] = Math.Round((head + records.Count) / Stopwatch.GetElapsedTime(t).TotalSeconds);
        BenchLog.Info($"mock cluster {kafka.BootstrapServers}: {BenchKafka.Topic} preloaded with {ends.Values.Sum():N0} records over {partitions} partitions in {Stopwatch.GetElapsedTime(t).TotalSeconds:0.0} s");
        var total = ends.Values.Sum();
        details["warmup_records"] = head;

        await using var db = await PostgresDatabase.CreateAsync("bench_", cancellationToken);
        details["pg_synchronous_commit_on"] = await db.SettingAsync("synchronous_commit", cancellationToken) == "on" ? 1 : 0;
        await StorageMigrator.MigrateAsync("Postgres", db.ConnectionString, cancellationToken);
        await PlainConsumer.CreateTableAsync(db.ConnectionString, cancellationToken);

        // 1. The plain consumer, fetching only.
        GC.Collect();
        var only = PlainConsumer.ConsumeOnly(kafka.BootstrapServers, BenchKafka.Topic, partitions, total, head, cancellationToken);
        Report("plain consumer, no storage", only, "records");

        // 2. The baseline: the plain consumer upserting the states.
        GC.Collect();
        var cpu = Cpu.Start();
        var plainRun = await PlainConsumer.WithStorageAsync(kafka.BootstrapServers, BenchKafka.Topic, partitions, total, head, db.ConnectionString, batch, cancellationToken);
        var plain = plainRun.Progress;
        Report("plain consumer + PostgreSQL upserts", plain, "events");
        details["baseline_rows_written_per_event"] = Math.Round(plainRun.Rows / (double)total, 3);
        details["baseline_transactions"] = plainRun.Transactions;
        BenchLog.Info($"  baseline wrote {plainRun.Rows:N0} state rows in {plainRun.Transactions:N0} transactions ({details["baseline_rows_written_per_event"]} rows per event)");
        cpu.Stop("baseline", total, details);

        // 3. The ceiling: the product with its grain storage discarding every state after serializing it, in a
        // consumer group of its own. It runs first: the app that grows the process's heap pays its page faults.
        if (!BenchOptions.Flag(args, "--no-ceiling"))
        {
            GC.Collect();
            cpu = Cpu.Start();
            var (ceiling, _) = await RunProductAsync(kafka, db.ConnectionString, ends, total, head, false, "ceiling_storage_discarded", "ceiling", DiscardingGrainStorage.Replace, details, cancellationToken);
            cpu.Stop("ceiling_storage_discarded", total, details);
            details["ceiling_storage_discarded_events_per_sec"] = Math.Round(ceiling.SteadyRate);
            Report("ceiling: the product with its grain storage discarded", ceiling, "events");
        }

        // 3b. The product: one silo. Orleans' code is large: while the silo works off the warm-up head its JIT compiles
        // some 25,000 methods (about 8 s of compiling); the details give what it still compiles in the measured part.
        GC.Collect();
        cpu = Cpu.Start();
        using var storage = new MeterTotals(StorageMetrics.StatesWritten, StorageMetrics.BatchSize);
        var threads = trace ? ThreadCpu.Sample() : null;
        using var allocations = trace ? new AllocationSampler() : null;
        var allocated = allocations?.Snapshot();
        var (product, productCommitted) = await RunProductAsync(kafka, db.ConnectionString, ends, total, head, trace, "product", "silos", null, details, cancellationToken);
        cpu.Stop("product", total, details);
        details["product_states_written_per_event"] = Math.Round(storage[StorageMetrics.StatesWritten].Sum / total, 3);
        details["product_transactions"] = storage[StorageMetrics.BatchSize].Count;
        BenchLog.Info($"  product wrote {storage[StorageMetrics.StatesWritten].Sum:N0} grain states in {storage[StorageMetrics.BatchSize].Count:N0} transactions ({details["product_states_written_per_event"]} per event)");
        if (threads is not null)
        {
            var split = ThreadCpu.CoresBetween(threads, ThreadCpu.Sample(), product.SecondsTo(1.0)).OrderByDescending(kv => kv.Value).Take(12);
            BenchLog.Info($"  --trace: CPU by thread (cores): {string.Join(", ", split.Select(kv => $"{kv.Key} {kv.Value:0.00}"))}");
            BenchLog.Info($"  --trace: allocated bytes by type (sampled): {string.Join(", ", AllocationSampler.Top(allocated!, allocations!.Snapshot(), 15).Select(x => $"{x.Type} {x.Share:P0}"))}");
        }
        Report("product (one silo, Kafka stream provider, grain state in PostgreSQL), applied", product, "events");
        Report("product, below the commit watermark", productCommitted, "events");
        var committed = KafkaTopics.GetCommittedOffsets(kafka.Options(), BenchKafka.Topic, TimeSpan.FromSeconds(30)).Values.Sum();
        details["product_committed_offsets_total"] = committed;
        BenchLog.Info($"  the product's group committed {committed:N0} of {total:N0} offsets before it stopped");

        await StoredSizesAsync(db.ConnectionString, details, cancellationToken);

        // 4. Failover.
        if (failover)
        {
            var result = await Failover.RunAsync(kafka, db.ConnectionString, redis, cancellationToken);
            details["failover_measured"] = result is { ServedSeconds: > 0 } ? 1 : 0;
            if (result is not null)
            {
                details["failover_kill_to_taken_s"] = Math.Round(result.TakenSeconds, 2);
                details["failover_kill_to_served_s"] = Math.Round(result.ServedSeconds, 2);
                details["failover_partitions_moved"] = result.PartitionsMoved;
                BenchLog.Info($"failover: {result.PartitionsMoved} partitions taken by the survivor {result.TakenSeconds:0.00} s after the kill, served (events produced after the kill applied) after {result.ServedSeconds:0.00} s");
            }
        }

        var value = product.SteadyRate;
        var baseline = plain.SteadyRate;
        details["product_events_per_sec_overall"] = Math.Round(product.OverallRate);
        details["product_seconds_to_all_applied"] = Math.Round(product.SecondsTo(1.0), 2);
        details["product_seconds_to_first_10pct"] = Math.Round(product.SecondsTo(0.1), 2);
        details["baseline_events_per_sec_overall"] = Math.Round(plain.OverallRate);
        details["baseline_seconds_to_all_applied"] = Math.Round(plain.SecondsTo(1.0), 2);
        details["consume_only_records_per_sec"] = Math.Round(only.SteadyRate);
        details["consume_only_records_per_sec_overall"] = Math.Round(only.OverallRate);
        details["product_complete"] = product.Complete ? 1 : 0;
        details["product_watermark_events_per_sec"] = Math.Round(productCommitted.SteadyRate);
        details["product_seconds_to_all_below_watermark"] = Math.Round(productCommitted.SecondsTo(1.0), 2);
        var ratio = value / baseline;
        if (details.TryGetValue("ceiling_storage_discarded_events_per_sec", out var ceilingRate))
        {
            details["ceiling_storage_discarded_ratio"] = Math.Round(ceilingRate / baseline, 3);
            BenchLog.Info($"kafka: ceiling with grain storage discarded {ceilingRate:N0} events/s, {ceilingRate / baseline:0.00} of the plain consumer with PostgreSQL");
        }

        var met = product.Complete && ratio >= 0.5;
        BenchLog.Info($"kafka: product {value:N0} events/s, plain consumer with PostgreSQL {baseline:N0} events/s (ratio {ratio:0.00}), without storage {only.SteadyRate:N0} records/s; goal {(met ? "met" : "MISSED")}");
        return new BenchResult(Name, Math.Round(value), "events/s", Math.Round(baseline), Math.Round(ratio, 3),
            ">= 0.5 x the plain consumer upserting the same per-key states to PostgreSQL (events/s from cart-events to durable state, one silo)", met)
        {
            BaselineName = "plain Confluent.Kafka consumer, batched upserts of shopper/session/cart states to PostgreSQL (same topic, same server)",
            Details = details,
        }.Finite();
    }

    /// <summary>The product's run: applied (deliveries completed) and done (below the commit watermark) over time.</summary>
    private static async Task<(Progress Applied, Progress Committed)> RunProductAsync(
        BenchKafka kafka, string connectionString, IReadOnlyDictionary<int, long> ends, long total, long head, bool trace, string name,
        string group, Action<WebApplicationBuilder>? configure, Dictionary<string, double> details, CancellationToken cancellationToken)
    {
        DeliveryCounter deliveries = null!;
        var app = await SiloApp.StartAsync(
        [
            "--environment", "Development",
            "--Http:Port=0",
            "--Storage:Provider=Postgres",
            "--Storage:ConnectionString=" + connectionString,
            "--Events:Provider=Kafka",
            "--Kafka:BootstrapServers=" + kafka.BootstrapServers,
            "--Kafka:EventsTopic=" + BenchKafka.Topic,
            "--Kafka:DeadLetterTopic=" + BenchKafka.DeadLetterTopic,
            "--Kafka:Partitions=" + kafka.Partitions,
            "--Kafka:ConsumerGroup=" + group,
            "--Auth:IngestKey=" + ProductApp.IngestKey,
            "--Auth:AdminPassword=" + ProductApp.AdminPassword,
            "--Logging:LogLevel:Default=Warning",
        ],
        builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            deliveries = DeliveryCounter.AddTo(builder);
            configure?.Invoke(builder);
        });
        try
        {
            using var watermark = new WatermarkCounter(app.Services, BenchKafka.Topic);
            var applied = new Progress(total, head);
            var committed = new Progress(total, head);
            var measured = new MeasuredPart(applied.Fraction(0.1) * total, applied.Fraction(0.9) * total);
            var started = Stopwatch.GetTimestamp();
            var deadline = started + Stopwatch.Frequency * 600;
            var nextTrace = 0.0;
            long? allApplied = null;
            while (!committed.Complete && Stopwatch.GetTimestamp() < deadline)
            {
                applied.Add(deliveries.Applied);
                measured.Observe(applied.Done);
                committed.Add(watermark.Done(ends));

                // The watermark trails what was applied by what the cache still holds; it is not waited for forever.
                allApplied ??= applied.Complete ? Stopwatch.GetTimestamp() : null;
                if (allApplied is { } at && Stopwatch.GetElapsedTime(at) > TimeSpan.FromSeconds(30))
                {
                    break;
                }

                if (trace && Stopwatch.GetElapsedTime(started).TotalSeconds >= nextTrace)
                {
                    nextTrace += 1;
                    BenchLog.Info($"    {Stopwatch.GetElapsedTime(started).TotalSeconds,5:0.0} s: {applied.Done:N0} applied ({deliveries.Deliveries:N0} deliveries), {committed.Done:N0} below the commit watermark");
                }

                await Task.Delay(50, cancellationToken);
            }

            measured.Report(name, details);
            return (applied, committed);
        }
        finally
        {
            await ProductApp.StopAsync(app);
        }
    }

    /// <summary>Rows and average JSON size by kind: the product's grain states and the baseline's, for comparison.</summary>
    private static async Task StoredSizesAsync(string connectionString, Dictionary<string, double> details, CancellationToken cancellationToken)
    {
        var product = await PlainConsumer.StoredAsync(connectionString,
            "SELECT grain_type, count(*), avg(octet_length(payload::text)) FROM grain_state GROUP BY grain_type", cancellationToken);
        var plain = await PlainConsumer.StoredAsync(connectionString,
            $"SELECT kind, count(*), avg(octet_length(payload::text)) FROM {PlainConsumer.Table} GROUP BY kind", cancellationToken);
        foreach (var (type, (n, bytes)) in product)
        {
            var name = new string(type.Where(char.IsAsciiLetterOrDigit).ToArray()).ToLowerInvariant();
            details[$"product_states_{name}"] = n;
            details[$"product_state_bytes_avg_{name}"] = Math.Round(bytes);
        }

        foreach (var (kind, (n, bytes)) in plain)
        {
            details[$"baseline_states_{kind}"] = n;
            details[$"baseline_state_bytes_avg_{kind}"] = Math.Round(bytes);
        }

        BenchLog.Info($"  stored: product {string.Join(", ", product.Select(p => $"{p.Key} {p.Value.Count:N0} x {p.Value.Bytes:N0} B"))}; " +
            $"baseline {string.Join(", ", plain.Select(p => $"{p.Key} {p.Value.Count:N0} x {p.Value.Bytes:N0} B"))}");
    }

    /// <summary>
    /// The measured part of a run (from one count of records done to another): this process's CPU per event in it and
    /// what the JIT compiled meanwhile.
    /// </summary>
    private sealed class MeasuredPart(double from, double to)
    {
        private (long Done, double CpuMs, JitSample Jit)? _start;
        private (long Done, double CpuMs, JitSample Jit)? _end;

        public void Observe(long done)
        {
            if (_start is null && done >= from)
            {
                _start = Take(done);
            }

            if (_end is null && done >= to)
            {
                _end = Take(done);
            }
        }

        public void Report(string name, Dictionary<string, double> details)
        {
            if (_start is { } a && _end is { } b && b.Done > a.Done)
            {
                var (methods, ms) = b.Jit.Since(a.Jit);
                details[$"{name}_cpu_ms_per_1000_events_measured_part"] = Math.Round((b.CpuMs - a.CpuMs) * 1000 / (b.Done - a.Done), 1);
                details[$"{name}_jit_methods_measured_part"] = methods;
                details[$"{name}_jit_ms_measured_part"] = ms;
                BenchLog.Info($"  {name}, between 10% and 90% of the measured records: {details[$"{name}_cpu_ms_per_1000_events_measured_part"]} ms CPU per 1000 events; " +
                    $"the JIT compiled {methods:N0} methods in {ms:N0} ms");
            }
        }

        private static (long, double, JitSample) Take(long done) => (done, ProcessSample.Now().CpuMs, JitSample.Now());
    }

    /// <summary>The methods the JIT has compiled so far in this process, and the time it spent compiling.</summary>
    private readonly record struct JitSample(long Methods, TimeSpan Time)
    {
        public static JitSample Now() => new(System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());

        /// <summary>Methods compiled and milliseconds spent compiling since <paramref name="earlier"/>.</summary>
        public (long Methods, double Ms) Since(JitSample earlier) => (Methods - earlier.Methods, Math.Round((Time - earlier.Time).TotalMilliseconds));
    }

    /// <summary>
    /// CPU over one phase: this process (brokers, consumer or silo) and the whole machine (PostgreSQL and others too),
    /// and the methods the JIT compiled meanwhile (a phase that still compiles much is not yet a warm process).
    /// </summary>
    private sealed record Cpu(ProcessSample Process, MachineLoad.CpuTimes Machine, JitSample Jit, GcPauseWatch Pauses)
    {
        public static Cpu Start() => new(ProcessSample.Now(), MachineLoad.Cpu(), JitSample.Now(), new GcPauseWatch());

        public void Stop(string name, long events, Dictionary<string, double> details)
        {
            var process = ProcessSample.Now();
            var machine = MachineLoad.Cpu().BusyCoresSince(Machine);
            Pauses.Dispose();
            details[$"{name}_cpu_ms_per_1000_events"] = Math.Round((process.CpuMs - Process.CpuMs) * 1000 / events, 1);
            details[$"{name}_cores_busy_process"] = Math.Round(process.CoresSince(Process), 2);
            details[$"{name}_cores_busy_machine"] = Math.Round(machine, 2);
            details[$"{name}_gc_pause_max_ms"] = Math.Round(Pauses.MaxMs, 1);
            (details[$"{name}_jit_methods_compiled"], details[$"{name}_jit_ms"]) = JitSample.Now().Since(Jit);
            BenchLog.Info($"  {name}: this process {process.Describe(Process)}, longest GC pause {Pauses.MaxMs:N0} ms, {details[$"{name}_cpu_ms_per_1000_events"]} ms CPU per 1000 events; " +
                $"machine {machine:0.00} of {Environment.ProcessorCount} cores busy; JIT compiled {details[$"{name}_jit_methods_compiled"]:N0} methods in {details[$"{name}_jit_ms"]:N0} ms");
        }
    }

    private static void Report(string what, Progress p, string unit) =>
        BenchLog.Info($"  {what}: {p.SteadyRate,9:N0} {unit}/s (10-90%), {p.OverallRate:N0} {unit}/s overall, {p.Done:N0}/{p.Total:N0} in {p.SecondsTo(1.0):0.0} s");
}
