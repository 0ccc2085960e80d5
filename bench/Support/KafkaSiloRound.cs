using System.Diagnostics;
using CartRecovery.Grains.Diagnostics;
using CartRecovery.Runtime;
using CartRecovery.Runtime.Storage.Postgres;
using CartRecovery.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Npgsql;

namespace CartRecovery.Bench.Support;

/// <summary>
/// One measured pass of the real silo over a pre-filled topic: a throw-away PostgreSQL database
/// (migrated), a fresh consumer group, the silo started in process (role silo, Kafka placement).
/// The clock starts when the silo owns its first partition (so the mock's ~3 s first group join is
/// excluded, the partition acquisition is included) and stops at the first poll (every 100 ms) of
/// the <c>partitions</c> table that shows every partition's <c>event_offset</c> at its end offset - 1,
/// i.e. every event's effect is in a committed checkpoint.
/// </summary>
internal static class KafkaSiloRound
{
    public sealed record Result(
        long Events,
        double Seconds,
        double JoinSeconds,
        long SteadyEvents,
        double SteadySeconds,
        double CpuSeconds,
        long GrainCalls,
        long Ingested,
        int Activations,
        long Checkpoints,
        double StatesWritten,
        double CheckpointP50Ms,
        double CheckpointP99Ms,
        long RemindersFired,
        long ShopperStates,
        IReadOnlyList<(double T, long Covered)> Timeline,
        double MachineBusyCores,
        double PostgresCores,
        double LoadAverage,
        KafkaApplyProbe.Result? Probe)
    {
        public double Rate => Events / Seconds;

        public double SteadyRate => SteadySeconds > 0 ? SteadyEvents / SteadySeconds : double.NaN;
    }

    /// <param name="connectionOptions">Appended to the silo's connection string (e.g. "Maximum Pool Size=64"); null for none.</param>
    public static async Task<Result> RunAsync(string bootstrapServers, IReadOnlyDictionary<int, long> endOffsets, IReadOnlyList<string> extraArgs,
        string? connectionOptions, KafkaMeterTap tap, IReadOnlyList<Grains.Abstractions.Events.StorefrontEvent>? probeSample, CancellationToken cancellationToken)
    {
        await using var db = await ThrowawayPostgres.CreateAsync(cancellationToken);
        await new PostgresGrainStorage(db.ConnectionString).MigrateAsync(cancellationToken);
        var siloConnection = connectionOptions is null ? db.ConnectionString : db.ConnectionString + ";" + connectionOptions;
        await using var probe = NpgsqlDataSource.Create(db.ConnectionString);
        var total = endOffsets.Values.Sum();
        string[] args =
        [
            "--environment", "Development",
            "--Silo:Role=silo",
            "--Http:Port=0", "--Http:InternalPort=0", "--Http:Host=127.0.0.1",
            "--Kafka:BootstrapServers=" + bootstrapServers,
            "--Kafka:Partitions=" + endOffsets.Count, "--Runtime:Partitions=" + endOffsets.Count,
            "--Storage:Provider=Postgres", "--Storage:ConnectionString=" + siloConnection,
            "--Logging:LogLevel:Default=Warning",
            "--Kafka:ConsumerGroup=bench-" + Guid.NewGuid().ToString("N"),
            .. extraArgs,
        ];

        tap.Reset();
        var launched = Stopwatch.GetTimestamp();
        var app = await SiloApp.StartAsync(args, QuietLogging);
        var stopped = false;
        try
        {
            var runtime = app.Services.GetRequiredService<GrainRuntime>();
            while (runtime.OwnedPartitions.Count == 0)
            {
                if (Stopwatch.GetElapsedTime(launched) > TimeSpan.FromSeconds(60))
                {
                    throw new TimeoutException("the silo was assigned no partition within 60 s");
                }

                await Task.Delay(2, cancellationToken);
            }

            var assigned = Stopwatch.GetTimestamp();
            var joinSeconds = Stopwatch.GetElapsedTime(launched, assigned).TotalSeconds;
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var host = KafkaHostLoad.Start();
            var timeline = new List<(double, long)>();
            long? firstCovered = null;
            double firstAt = 0;
            long lastCovered = -1;
            var lastProgress = assigned;
            var lastLog = assigned;
            double doneAt;
            while (true)
            {
                var offsets = await ReadOffsetsAsync(probe, cancellationToken);
                var now = Stopwatch.GetTimestamp();
                var t = Stopwatch.GetElapsedTime(assigned, now).TotalSeconds;
                var covered = offsets.Values.Sum(o => o is { } x ? x + 1 : 0);
                timeline.Add((t, covered));
                if (firstCovered is null && covered > 0)
                {
                    firstCovered = covered;
                    firstAt = t;
                }

                if (endOffsets.All(kv => kv.Value == 0 || (offsets.TryGetValue(kv.Key, out var o) && o >= kv.Value - 1)))
                {
                    doneAt = t;
                    break;
                }

                if (covered != lastCovered)
                {
                    lastCovered = covered;
                    lastProgress = now;
                }
                else if (Stopwatch.GetElapsedTime(lastProgress, now) > TimeSpan.FromSeconds(60))
                {
                    throw new TimeoutException($"checkpointed offsets stuck at {covered}/{total} for 60 s");
                }

                if (Stopwatch.GetElapsedTime(lastLog, now) >= TimeSpan.FromSeconds(2))
                {
                    lastLog = now;
                    BenchLog.Info($"    silo: {covered,9:N0}/{total:N0} events checkpointed after {t:0.0} s ({runtime.ActivationCount:N0} activations)");
                }

                await Task.Delay(100, cancellationToken);
            }

            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
            var (machine, postgres, loadAverage) = host.Stop();
            var cp = runtime.Metrics.CheckpointLatency.Percentiles(50, 99);
            var (checkpoints, states) = tap.Read("checkpoint_states");
            var (reminders, _) = tap.Read("reminders_fired_total");
            var calls = runtime.Metrics.Calls;
            var activations = runtime.ActivationCount;
            var ingested = app.Services.GetRequiredService<DomainMetrics>().IngestedTotal;
            KafkaApplyProbe.Result? probeResult = null;
            if (probeSample is not null)
            {
                BenchLog.Info("    breakdown probe: applying events directly through the silo's EventPipeline");
                probeResult = await KafkaApplyProbe.RunAsync(runtime, app.Services.GetRequiredService<Grains.Ingestion.EventPipeline>(), probeSample,
                    warmCount: Math.Min(20_000, probeSample.Count), coldCount: Math.Min(5_000, probeSample.Count), tap, cancellationToken);
            }

            stopped = true;
            await app.StopAsync(CancellationToken.None);
            long shopperStates;
            await using (var cmd = probe.CreateCommand("SELECT count(*) FROM grain_state WHERE grain_type='shopper' AND grain_key NOT LIKE 'probe%'"))
            {
                shopperStates = (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
            }

            return new Result(
                total, doneAt, joinSeconds,
                total - (firstCovered ?? 0), doneAt - firstAt,
                cpu, calls, ingested, activations, checkpoints, states,
                cp[0] * 1000, cp[1] * 1000, reminders, shopperStates, timeline, machine, postgres, loadAverage, probeResult);
        }
        finally
        {
            if (!stopped)
            {
                await app.StopAsync(CancellationToken.None);
            }

            await app.DisposeAsync();
        }
    }

    private static async Task<Dictionary<int, long?>> ReadOffsetsAsync(NpgsqlDataSource probe, CancellationToken cancellationToken)
    {
        var result = new Dictionary<int, long?>();
        await using var cmd = probe.CreateCommand("SELECT partition, event_offset FROM partitions");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetInt32(0)] = reader.IsDBNull(1) ? null : reader.GetInt64(1);
        }

        return result;
    }

    /// <summary>The app's logs go to stderr (stdout carries only the result line).</summary>
    public static void QuietLogging(WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
