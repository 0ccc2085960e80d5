using System.Diagnostics;
using CartRecovery.Bench.Infrastructure;
using CartRecovery.Bench.Support;
using CartRecovery.Kafka.Mock;

namespace CartRecovery.Bench.Scenarios;

/// <summary>
/// Kafka ingestion: events per second from <c>cart-events</c> into checkpointed grain state
/// (PostgreSQL, one silo, 16 partitions) against a plain Confluent.Kafka consumer reading the same
/// topic in the same run (the physical limit of the client and the mock broker).
/// <para>
/// Setup: librdkafka's in-process mock cluster (1 broker) with <c>cart-events</c> (16 partitions),
/// <c>nudges</c> and <c>cart-events-dlq</c>; the topic is pre-filled once with REES46 events
/// (scaled, timestamps shifted so the newest is now, keyed by shopper, partition from the runtime's
/// PartitionMap) through the product's KafkaEventProducer.
/// </para>
/// <para>
/// Each round runs, in turn: the plain consumer with values copied as byte[] and not parsed (the
/// baseline), the plain consumer that also deserializes every value into a StorefrontEvent
/// (a detail: what parsing alone costs), and the silo on a fresh database and consumer group, timed
/// from its first owned partition to the poll of the partitions table that shows every partition
/// checkpointed at its end offset (see KafkaSiloRound). Medians over the rounds are reported.
/// Goal: the silo reaches at least 50% of the plain consumer's rate.
/// </para>
/// Options: --scale N (REES46 copies, 10 = about 168k events; the mock broker keeps only about 5 MB per partition, so at most about 15 with 16 partitions), --rounds N (3), --partitions N (16),
/// --set Key=Value (extra silo configuration, repeatable, e.g. --set Kafka:MaxBatchSize=2000),
/// --pg-options "..." (appended to the silo's PostgreSQL connection string, e.g. "Maximum Pool Size=64"),
/// --no-breakdown (skip the in-silo EventPipeline probe after the last round).
/// </summary>
public sealed class KafkaBench : IScenario
{
    private const string EventsTopic = "cart-events";

    public string Name => "kafka";

    public string Description => "events/s from cart-events into checkpointed grain state (1 silo, PostgreSQL) vs a plain Kafka consumer";

    public async Task<BenchResult> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var scale = BenchOptions.Int(args, "--scale", 10);
        var rounds = BenchOptions.Int(args, "--rounds", 3);
        var partitions = BenchOptions.Int(args, "--partitions", 16);
        var pgOptions = BenchOptions.String(args, "--pg-options");
        var extra = new List<string>();
        for (var i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == "--set")
            {
                extra.Add("--" + args[i + 1]);
            }
        }

        BenchLog.Info($"kafka bench: scale {scale}, {rounds} rounds, {partitions} partitions, {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}, PostgreSQL {ThrowawayPostgres.ServerConnectionString.Split(';')[0]}"
            + (extra.Count > 0 ? ", silo " + string.Join(' ', extra) : "") + (pgOptions is { } po ? $", connection options '{po}'" : "") + $", load average {KafkaHostLoad.LoadAverage():0.0}");

        using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic(EventsTopic, partitions);
        cluster.CreateTopic("nudges", partitions);
        cluster.CreateTopic("cart-events-dlq", partitions);
        var bootstrap = cluster.BootstrapServers;

        var loadStarted = Stopwatch.GetTimestamp();
        var events = KafkaTopicFill.LoadShifted(scale);
        BenchLog.Info($"loaded {events.Count:N0} REES46 events (x{scale}) in {Stopwatch.GetElapsedTime(loadStarted).TotalSeconds:0.0} s");
        var filled = await KafkaTopicFill.FillAsync(bootstrap, EventsTopic, partitions, events, cancellationToken);
        var perPartition = filled.EndOffsets.Values.ToArray();
        BenchLog.Info($"produced {filled.Events:N0} records ({filled.Bytes / 1e6:0.0} MB, {filled.Shoppers:N0} shoppers) in {filled.ProduceSeconds:0.0} s "
            + $"({filled.Events / filled.ProduceSeconds:N0}/s); per partition {perPartition.Min():N0}..{perPartition.Max():N0}");
        var sample = events.Take(20_000).ToList();
        events.Clear();
        GC.Collect();

        // Warm-up of the plain client (JIT, connection); the silo's first round is its own warm-up (medians).
        KafkaPlainConsumer.Read(bootstrap, EventsTopic, filled.EndOffsets, parseJson: true, cancellationToken);

        KafkaPgProbe.Result probe;
        await using (var probeDb = await ThrowawayPostgres.CreateAsync(cancellationToken))
        {
            await new CartRecovery.Runtime.Storage.Postgres.PostgresGrainStorage(probeDb.ConnectionString).MigrateAsync(cancellationToken);
            probe = await KafkaPgProbe.RunAsync(pgOptions is null ? probeDb.ConnectionString : probeDb.ConnectionString + ";" + pgOptions, cancellationToken);
        }

        BenchLog.Info($"PostgreSQL state read (one activation's read): p50 {probe.SequentialP50Us:0} us, p99 {probe.SequentialP99Us:0} us one at a time; {probe.ConcurrentReadsPerSec:N0} reads/s from 16 loops at {probe.ConcurrentCpuUsPerRead:0} us CPU/read in this process");

        using var tap = new KafkaMeterTap("checkpoint_states", "reminders_fired_total");
        var raw = new List<KafkaPlainConsumer.Result>();
        var json = new List<KafkaPlainConsumer.Result>();
        var silo = new List<KafkaSiloRound.Result>();
        for (var round = 1; round <= rounds; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            BenchLog.Info($"round {round}/{rounds}");
            var r = KafkaPlainConsumer.Read(bootstrap, EventsTopic, filled.EndOffsets, parseJson: false, cancellationToken);
            raw.Add(r);
            BenchLog.Info($"  plain consumer (bytes)    {r.Rate,12:N0} events/s  ({r.Seconds:0.00} s)");
            var j = KafkaPlainConsumer.Read(bootstrap, EventsTopic, filled.EndOffsets, parseJson: true, cancellationToken);
            json.Add(j);
            BenchLog.Info($"  plain consumer (+JSON)    {j.Rate,12:N0} events/s  ({j.Seconds:0.00} s)");
            var s = await KafkaSiloRound.RunAsync(bootstrap, filled.EndOffsets, extra, pgOptions, tap,
                round == rounds && !BenchOptions.Flag(args, "--no-breakdown") ? sample : null, cancellationToken);
            silo.Add(s);
            BenchLog.Info($"  silo -> checkpointed      {s.Rate,12:N0} events/s  ({s.Seconds:0.00} s after assignment; join {s.JoinSeconds:0.0} s; "
                + $"after 1st checkpoint {s.SteadyRate:N0}/s; {s.Checkpoints:N0} checkpoints, {s.StatesWritten / Math.Max(1, s.Checkpoints):0} states each, "
                + $"p50 {s.CheckpointP50Ms:0.0} ms p99 {s.CheckpointP99Ms:0.0} ms; {s.GrainCalls / (double)s.Events:0.00} calls/event; "
                + $"CPU {s.CpuSeconds / s.Seconds * 100:0}% of one core, {s.CpuSeconds / s.Events * 1e6:0.0} us/event; "
                + $"machine {s.MachineBusyCores:0.00} of {Environment.ProcessorCount} cores busy, postgres {s.PostgresCores:0.00} cores, load average {s.LoadAverage:0.0})");
            if (s.Ingested != s.Events || s.ShopperStates != filled.Shoppers)
            {
                BenchLog.Info($"  WARNING: ingested {s.Ingested:N0} of {s.Events:N0} events; {s.ShopperStates:N0} shopper states for {filled.Shoppers:N0} shoppers");
            }
        }

        double Med<T>(IEnumerable<T> xs, Func<T, double> f) => Stats.Median(xs.Select(f).ToArray());
        var value = Med(silo, s => s.Rate);
        var baseline = Med(raw, r => r.Rate);
        var ratio = value / baseline;
        var last = silo[^1];
        var details = new Dictionary<string, double>
        {
            ["events"] = filled.Events,
            ["partitions"] = partitions,
            ["shoppers"] = filled.Shoppers,
            ["avg_record_bytes"] = Math.Round(filled.Bytes / (double)filled.Events, 1),
            ["rounds"] = rounds,
            ["plain_consumer_json_events_per_sec"] = Math.Round(Med(json, r => r.Rate)),
            ["silo_seconds_after_assignment"] = Math.Round(Med(silo, s => s.Seconds), 2),
            ["silo_group_join_seconds_excluded"] = Math.Round(Med(silo, s => s.JoinSeconds), 2),
            ["silo_events_per_sec_after_first_checkpoint"] = Math.Round(Med(silo, s => s.SteadyRate)),
            ["silo_best_round_events_per_sec"] = Math.Round(silo.Max(s => s.Rate)),
            ["silo_cpu_cores_busy"] = Math.Round(Med(silo, s => s.CpuSeconds / s.Seconds), 2),
            ["silo_cpu_us_per_event"] = Math.Round(Med(silo, s => s.CpuSeconds / s.Events * 1e6), 2),
            ["grain_calls_per_event"] = Math.Round(Med(silo, s => s.GrainCalls / (double)s.Events), 3),
            ["checkpoints"] = Med(silo, s => s.Checkpoints),
            ["states_per_checkpoint"] = Math.Round(Med(silo, s => s.StatesWritten / Math.Max(1, s.Checkpoints)), 1),
            ["checkpoint_p50_ms"] = Math.Round(Med(silo, s => s.CheckpointP50Ms), 2),
            ["checkpoint_p99_ms"] = Math.Round(Med(silo, s => s.CheckpointP99Ms), 2),
            ["activations_at_end"] = last.Activations,
            ["reminders_fired"] = Med(silo, s => s.RemindersFired),
            ["events_ingested_last_round"] = last.Ingested,
            ["shopper_states_last_round"] = last.ShopperStates,
            ["cores"] = Environment.ProcessorCount,
            ["machine_busy_cores_during_silo"] = Math.Round(Med(silo, s => s.MachineBusyCores), 2),
            ["postgres_cores_during_silo"] = Math.Round(Med(silo, s => s.PostgresCores), 2),
            ["load_average_1m"] = Math.Round(Med(silo, s => s.LoadAverage), 1),
            ["pg_state_read_p50_us"] = Math.Round(probe.SequentialP50Us),
            ["pg_state_read_p99_us"] = Math.Round(probe.SequentialP99Us),
            ["pg_state_reads_per_sec_16_loops"] = Math.Round(probe.ConcurrentReadsPerSec),
            ["pg_state_read_client_cpu_us"] = Math.Round(probe.ConcurrentCpuUsPerRead, 1),
            ["activations_per_event"] = Math.Round(last.Activations / (double)last.Events, 3),
        };

        if (last.Probe is { } p)
        {
            BenchLog.Info($"breakdown (EventPipeline direct, no Kafka): warm grains {p.WarmRate:N0} events/s at {p.WarmCpuUs:0.0} us CPU/event; "
                + $"new shopper per event, 16 lanes {p.Cold16Rate:N0} events/s at {p.Cold16CpuUs:0.0} us/event; 64 lanes {p.Cold64Rate:N0} events/s at {p.Cold64CpuUs:0.0} us/event; "
                + $"checkpoint of {p.CheckpointStates:N0} states {p.CheckpointStatesPerSec:N0} states/s at {p.CheckpointCpuUsPerState:0.0} us CPU/state");
            details["probe_warm_apply_events_per_sec"] = Math.Round(p.WarmRate);
            details["probe_warm_apply_cpu_us_per_event"] = Math.Round(p.WarmCpuUs, 1);
            details["probe_new_shopper_apply_events_per_sec_16_lanes"] = Math.Round(p.Cold16Rate);
            details["probe_new_shopper_apply_cpu_us_per_event_16_lanes"] = Math.Round(p.Cold16CpuUs, 1);
            details["probe_new_shopper_apply_events_per_sec_64_lanes"] = Math.Round(p.Cold64Rate);
            details["probe_new_shopper_apply_cpu_us_per_event_64_lanes"] = Math.Round(p.Cold64CpuUs, 1);
            details["probe_checkpoint_states_per_sec"] = Math.Round(p.CheckpointStatesPerSec);
            details["probe_checkpoint_cpu_us_per_state"] = Math.Round(p.CheckpointCpuUsPerState, 1);
        }

        var timeline = string.Join(" ", last.Timeline.Where((_, i) => i % 10 == 0).Select(p => $"{p.T:0.0}s:{p.Covered}"));
        BenchLog.Info($"last round, checkpointed events over time: {timeline}");
        BenchLog.Info($"median: silo {value:N0} events/s, plain consumer {baseline:N0} events/s, ratio {ratio:0.000}");
        return new BenchResult(Name, Math.Round(value), "events/s", Math.Round(baseline), Math.Round(ratio, 4),
            ">= 50% of a plain Confluent.Kafka consumer's rate on the same topic (events checkpointed in PostgreSQL, 1 silo)", ratio >= 0.5)
        {
            Details = FiniteOnly(details),
        };
    }

    /// <summary>JSON has no NaN or infinity: figures that could not be measured are left out (and named on stderr).</summary>
    private static Dictionary<string, double> FiniteOnly(Dictionary<string, double> details)
    {
        var missing = details.Where(kv => !double.IsFinite(kv.Value)).Select(kv => kv.Key).ToList();
        if (missing.Count > 0)
        {
            BenchLog.Info("not measured (left out of details): " + string.Join(", ", missing));
        }

        return details.Where(kv => double.IsFinite(kv.Value)).ToDictionary();
    }
}
