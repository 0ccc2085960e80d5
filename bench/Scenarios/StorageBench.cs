using System.Diagnostics;
using System.Text.Json;
using CartRecovery.Bench.Infrastructure;
using CartRecovery.Bench.Support;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Json;
using CartRecovery.Runtime.Storage;
using CartRecovery.Runtime.Storage.Postgres;
using CartRecovery.Runtime.Storage.Sqlite;

namespace CartRecovery.Bench.Scenarios;

/// <summary>
/// Checkpoint storage: grain states written per second by the batched write-behind flush (one
/// <see cref="IGrainStorage.WriteCheckpointAsync"/> holding thousands of state writes, half inserts of
/// new grains and half updates of existing ones, with the offset watermark, fenced by the partition
/// epoch) against one-row-per-transaction writes (a checkpoint of a single state, what an explicit
/// WriteStateAsync costs) on the same PostgreSQL server in the same run. States are ~500-byte cart JSON
/// (a real <see cref="CartState"/>). The baseline is a single writer, as the runtime writes one
/// partition at a time; 8 concurrent per-row writers on 8 partitions are reported alongside, and the
/// same figures for the embedded SQLite provider.
/// Goal: batched at least 10x the per-row baseline on PostgreSQL.
/// Options: --batch N (2000), --rounds N (3), --seconds S (3).
/// </summary>
public sealed class StorageBench : IScenario
{
    private const string GrainType = "cart";
    private const string StateName = "cart";

    public string Name => "storage";

    public string Description => "batched checkpoint states/s vs one-row-per-transaction (PostgreSQL, SQLite)";

    public async Task<BenchResult> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var batch = BenchOptions.Int(args, "--batch", 2000);
        var rounds = BenchOptions.Int(args, "--rounds", 3);
        var seconds = BenchOptions.Double(args, "--seconds", 3);
        var loadBefore = MachineLoad.Check(Name);
        var payloads = Payloads(256);
        var avgBytes = payloads.Average(p => p.Length);
        BenchLog.Info($"storage bench: checkpoints of {batch} states ({batch / 2} inserts + {batch / 2} updates), ~{avgBytes:0} bytes of JSON each, {rounds} rounds x {seconds:0.#} s");

        var details = new Dictionary<string, double> { ["load_average_before"] = loadBefore, ["batch_states"] = batch, ["state_json_bytes"] = Math.Round(avgBytes) };

        Figures pg;
        await using (var db = await ThrowawayPostgres.CreateAsync(cancellationToken))
        {
            var sync = await db.SettingAsync("synchronous_commit", cancellationToken);
            var fsync = await db.SettingAsync("fsync", cancellationToken);
            BenchLog.Info($"PostgreSQL database {db.Name}: synchronous_commit={sync}, fsync={fsync}");
            details["pg_synchronous_commit_on"] = sync == "on" ? 1 : 0;
            details["pg_fsync_on"] = fsync == "on" ? 1 : 0;
            await using (var storage = new PostgresGrainStorage(db.ConnectionString))
            {
                pg = await MeasureAsync("postgres", storage, payloads, batch, rounds, seconds, parallelWriters: 8, cancellationToken);
            }

            // How much of a checkpoint is the WAL flush at commit on this disk: the same with asynchronous commit.
            var asyncCommit = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) { Options = "-c synchronous_commit=off" }.ConnectionString;
            await using (var storage = new PostgresGrainStorage(asyncCommit))
            {
                var relaxed = await MeasureAsync("postgres-async-commit", storage, payloads, batch, 1, seconds, parallelWriters: 0, cancellationToken);
                details["pg_async_commit_batched_states_per_sec"] = Math.Round(relaxed.Batched);
                details["pg_async_commit_per_row_states_per_sec"] = Math.Round(relaxed.PerRow);
                details["pg_async_commit_checkpoint_ms_p50"] = Math.Round(relaxed.CheckpointP50Ms, 2);
            }
        }

        Figures sqlite;
        using (var file = new TempSqlite("cr-bench-storage"))
        {
            await using var storage = new SqliteGrainStorage(file.ConnectionString);
            sqlite = await MeasureAsync("sqlite", storage, payloads, batch, rounds, seconds, parallelWriters: 0, cancellationToken);
        }

        var value = pg.Batched;
        var baseline = pg.PerRow;
        var ratio = value / baseline;
        var met = ratio >= 10;
        details["pg_batched_states_per_sec"] = Math.Round(pg.Batched);
        details["pg_per_row_states_per_sec"] = Math.Round(pg.PerRow);
        details["pg_per_row_8_writers_states_per_sec"] = Math.Round(pg.PerRowParallel);
        details["pg_ratio_vs_8_writers"] = Math.Round(pg.Batched / pg.PerRowParallel, 2);
        details["pg_checkpoint_ms_p50"] = Math.Round(pg.CheckpointP50Ms, 2);
        details["pg_checkpoint_ms_max"] = Math.Round(pg.CheckpointMaxMs, 2);
        details["pg_per_row_ms_p50"] = Math.Round(pg.RowP50Ms, 3);
        details["sqlite_batched_states_per_sec"] = Math.Round(sqlite.Batched);
        details["sqlite_per_row_states_per_sec"] = Math.Round(sqlite.PerRow);
        details["sqlite_ratio"] = Math.Round(sqlite.Batched / sqlite.PerRow, 2);
        details["sqlite_checkpoint_ms_p50"] = Math.Round(sqlite.CheckpointP50Ms, 2);
        details["sqlite_per_row_ms_p50"] = Math.Round(sqlite.RowP50Ms, 3);
        BenchLog.Info($"PostgreSQL: batched {value:N0} states/s vs per-row {baseline:N0}/s (ratio {ratio:0.0}); goal {(met ? "met" : "MISSED")}");
        return new BenchResult(Name, Math.Round(value), "states/s", Math.Round(baseline), Math.Round(ratio, 2),
            ">= 10x one-row-per-transaction writes on PostgreSQL", met)
        {
            Details = details,
        }.Finite();
    }

    private sealed record Figures(double Batched, double PerRow, double PerRowParallel, double CheckpointP50Ms, double CheckpointMaxMs, double RowP50Ms);

    /// <summary>Keys and their current versions for one partition's writer.</summary>
    private sealed class Writer(string prefix, PartitionFence fence)
    {
        public PartitionFence Fence { get; } = fence;

        public List<(string Key, long Version)> Existing { get; } = new();

        public long Offset;

        private long _next;
        private int _cursor;

        public string NewKey() => $"{prefix}-{_next++}";

        /// <summary>Existing keys in round-robin order (each update moves one record's version on).</summary>
        public int NextExisting()
        {
            var i = _cursor;
            _cursor = (_cursor + 1) % Existing.Count;
            return i;
        }
    }

    private static async Task<Figures> MeasureAsync(string provider, IGrainStorage storage, byte[][] payloads, int batch, int rounds, double seconds, int parallelWriters, CancellationToken ct)
    {
        await storage.MigrateAsync(ct);
        var writers = new List<Writer>();
        for (var p = 0; p < Math.Max(1, parallelWriters) + 1; p++)
        {
            var lease = await storage.AcquirePartitionAsync(p, "bench-storage", ct);
            writers.Add(new Writer($"{provider}-p{p}", new PartitionFence(p, lease.Epoch)));
        }

        // Partition 0: batched checkpoints; partition 1..: per-row writers.
        var batched = writers[0];
        var rowWriters = writers.Skip(1).ToList();
        var random = new Random(7);

        // Seed: one all-insert checkpoint per writer, so there are records to update.
        await CheckpointAsync(storage, batched, payloads, random, inserts: batch, updates: 0, ct);
        foreach (var w in rowWriters)
        {
            await CheckpointAsync(storage, w, payloads, random, inserts: 200, updates: 0, ct);
        }

        // Warm-up of both paths (connections, plans, JIT).
        for (var i = 0; i < 3; i++)
        {
            await CheckpointAsync(storage, batched, payloads, random, batch / 2, batch / 2, ct);
        }

        for (var i = 0; i < 50; i++)
        {
            await CheckpointAsync(storage, rowWriters[0], payloads, random, i % 2, 1 - i % 2, ct);
        }

        var batchedRates = new List<double>();
        var perRowRates = new List<double>();
        var parallelRates = new List<double>();
        var checkpointMs = new List<double>();
        var rowMs = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            ct.ThrowIfCancellationRequested();

            // Batched: checkpoints back to back for the round's time.
            var states = 0L;
            var started = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(started).TotalSeconds < seconds)
            {
                var t = Stopwatch.GetTimestamp();
                states += await CheckpointAsync(storage, batched, payloads, random, batch / 2, batch / 2, ct);
                checkpointMs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }

            var rate = states / Stopwatch.GetElapsedTime(started).TotalSeconds;
            batchedRates.Add(rate);

            // One row per transaction, one writer.
            var rowStates = 0L;
            started = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(started).TotalSeconds < seconds)
            {
                var t = Stopwatch.GetTimestamp();
                var insert = rowStates % 2 == 0;
                rowStates += await CheckpointAsync(storage, rowWriters[0], payloads, random, insert ? 1 : 0, insert ? 0 : 1, ct, withOffset: false);
                rowMs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }

            var rowRate = rowStates / Stopwatch.GetElapsedTime(started).TotalSeconds;
            perRowRates.Add(rowRate);

            var parallelRate = double.NaN;
            if (parallelWriters > 0)
            {
                var total = 0L;
                started = Stopwatch.GetTimestamp();
                await Task.WhenAll(rowWriters.Select(w => Task.Run(async () =>
                {
                    var n = 0L;
                    while (Stopwatch.GetElapsedTime(started).TotalSeconds < seconds)
                    {
                        var insert = n % 2 == 0;
                        n += await CheckpointAsync(storage, w, payloads, new Random((int)n), insert ? 1 : 0, insert ? 0 : 1, ct, withOffset: false);
                    }

                    Interlocked.Add(ref total, n);
                }, ct)));
                parallelRate = total / Stopwatch.GetElapsedTime(started).TotalSeconds;
                parallelRates.Add(parallelRate);
            }

            BenchLog.Info($"  {provider} round {round}/{rounds}: batched {rate,10:N0} states/s, per-row {rowRate,8:N0}/s" +
                (parallelWriters > 0 ? $", per-row x{parallelWriters} writers {parallelRate,8:N0}/s" : ""));
        }

        var sortedCheckpoints = checkpointMs.Order().ToArray();
        var sortedRows = rowMs.Order().ToArray();
        return new Figures(
            LatencyLog.Median(batchedRates),
            LatencyLog.Median(perRowRates),
            parallelRates.Count > 0 ? LatencyLog.Median(parallelRates) : double.NaN,
            LatencyLog.Rank(sortedCheckpoints, 50),
            sortedCheckpoints.Length > 0 ? sortedCheckpoints[^1] : double.NaN,
            LatencyLog.Rank(sortedRows, 50));
    }

    /// <summary>Writes one checkpoint of new and existing records; returns the number of states written.</summary>
    private static async Task<int> CheckpointAsync(IGrainStorage storage, Writer w, byte[][] payloads, Random random, int inserts, int updates, CancellationToken ct, bool withOffset = true)
    {
        var writes = new List<StateWrite>(inserts + updates);
        var targets = new List<int>(inserts + updates);
        for (var i = 0; i < updates && w.Existing.Count > 0; i++)
        {
            var index = w.NextExisting();
            var (key, version) = w.Existing[index];
            writes.Add(new StateWrite(GrainType, key, StateName, payloads[random.Next(payloads.Length)], version));
            targets.Add(index);
        }

        for (var i = 0; i < inserts; i++)
        {
            writes.Add(new StateWrite(GrainType, w.NewKey(), StateName, payloads[random.Next(payloads.Length)], null));
            targets.Add(-1);
        }

        var offset = withOffset ? w.Offset += writes.Count : (long?)null;
        var versions = await storage.WriteCheckpointAsync(new Checkpoint(w.Fence, writes, [], offset), ct);
        for (var i = 0; i < writes.Count; i++)
        {
            if (targets[i] < 0)
            {
                w.Existing.Add((writes[i].GrainKey, versions[i]));
            }
            else
            {
                w.Existing[targets[i]] = (writes[i].GrainKey, versions[i]);
            }
        }

        return writes.Count;
    }

    /// <summary>Realistic cart states: one or two lines with their event records, timestamps, a score.</summary>
    private static byte[][] Payloads(int count)
    {
        var random = new Random(42);
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var result = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            var lines = random.Next(0, 4) == 0 ? 2 : 1;
            var at = now.AddMinutes(-random.Next(1, 600));
            var session = Guid.NewGuid().ToString("D");
            var cart = new CartState
            {
                CartId = "c-" + session,
                ShopperId = "u" + random.Next(100_000_000, 600_000_000),
                SessionId = session,
                Stage = CartStages.Active,
                Currency = "USD",
                CreatedAt = at,
                LastActivityAt = at.AddMinutes(random.Next(0, 20)),
                Risk = Math.Round(random.NextDouble(), 3),
            };
            for (var l = 0; l < lines; l++)
            {
                var sku = random.Next(1_000_000, 60_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var price = Math.Round(random.NextDouble() * 300, 2);
                cart.Lines.Add(new CartLine { Sku = sku, Name = "samsung " + sku, Price = price, Quantity = 1 });
                cart.Events.Add(new CartEventRecord { EventId = $"1-0-r{random.Next(1, 100_000)}", Type = "add_to_cart", At = at.AddSeconds(l * 40), Sku = sku, Price = price, Quantity = 1 });
                cart.Value += price;
            }

            result[i] = JsonSerializer.SerializeToUtf8Bytes(cart, GrainsJsonContext.Default.CartState);
        }

        return result;
    }
}
