using CartRecovery.TestSupport;
using System.Text.Json;
using CartRecovery.Bench.Infrastructure;
using CartRecovery.Bench.Storage;
using CartRecovery.Bench.Support;
using CartRecovery.Persistence.Hosting;
using CartRecovery.Persistence.Migrations;

namespace CartRecovery.Bench.Scenarios;

/// <summary>
/// Grain storage: grain states written per second by CartRecovery's PostgreSQL provider (group
/// commit: concurrent writes share one transaction) against Orleans' own ADO.NET provider (one
/// transaction per write), same grains, same PostgreSQL server and database, same run. Each
/// provider gets an in-process silo in turn; N grains (one closed-loop caller each) call a method
/// that makes one <c>WriteStateAsync</c> of a ~500-byte cart. Rounds alternate which provider goes
/// first; the result is the median round of each.
/// Goal: at least 10x the ADO.NET provider.
/// Options: --grains N (2000), --rounds N (3), --seconds S (4), --warmup S (2).
/// </summary>
public sealed class StorageBench : IScenario
{
    private const string Ours = "cartrecovery";
    private const string AdoNet = "adonet";

    public string Name => "storage";

    public string Description => "grain states written/s: our PostgreSQL provider vs Orleans' ADO.NET provider";

    public async Task<BenchResult> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var grains = BenchOptions.Int(args, "--grains", 2000);
        var rounds = BenchOptions.Int(args, "--rounds", 3);
        var measure = TimeSpan.FromSeconds(BenchOptions.Double(args, "--seconds", 4));
        var warmup = TimeSpan.FromSeconds(BenchOptions.Double(args, "--warmup", 2));
        var details = new Dictionary<string, double>
        {
            ["load_average_before"] = MachineLoad.Check(Name),
            ["grains"] = grains,
            ["state_json_bytes"] = JsonSerializer.SerializeToUtf8Bytes(BenchCart.Create(1)).Length,
        };
        BenchLog.Info($"storage bench: {grains} grains, closed loop, {rounds} rounds x {measure.TotalSeconds:0.#} s (+{warmup.TotalSeconds:0.#} s warm-up), state ~{details["state_json_bytes"]} bytes of JSON");

        await using var db = await PostgresDatabase.CreateAsync("bench_", cancellationToken);
        var sync = await db.SettingAsync("synchronous_commit", cancellationToken);
        details["pg_synchronous_commit_on"] = sync == "on" ? 1 : 0;
        details["pg_fsync_on"] = await db.SettingAsync("fsync", cancellationToken) == "on" ? 1 : 0;
        BenchLog.Info($"PostgreSQL database {db.Name}: synchronous_commit={sync}");
        await StorageMigrator.MigrateAsync("Postgres", db.ConnectionString, cancellationToken);
        await AdoNetBaseline.CreateSchemaAsync(db.ConnectionString, cancellationToken);

        var windows = new Dictionary<string, List<WriteWindow>> { [Ours] = [], [AdoNet] = [] };
        using var tap = new StorageMeterTap();
        var batched = (Transactions: 0L, States: 0L, CommitSeconds: 0.0);
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var provider in round % 2 == 1 ? new[] { Ours, AdoNet } : [AdoNet, Ours])
            {
                var before = tap.Totals;
                var window = await MeasureAsync(provider, db.ConnectionString, grains, warmup, measure, cancellationToken);
                windows[provider].Add(window);
                if (provider == Ours)
                {
                    var after = tap.Totals;
                    batched = (batched.Transactions + after.Transactions - before.Transactions, batched.States + after.States - before.States,
                        batched.CommitSeconds + after.CommitSeconds - before.CommitSeconds);
                }

                details[$"{provider}_round{round}_states_per_sec"] = Math.Round(window.PerSecond);
                BenchLog.Info($"round {round} {provider,-12}: {window.PerSecond,9:N0} states/s, call p50 {window.P50Ms:0.0} ms, p99 {window.P99Ms:0.0} ms");
            }
        }

        // Every acknowledged write must be in the database: the stored versions count them.
        details[$"{Ours}_stored_writes"] = await StoredWrites.OursAsync(db.ConnectionString, cancellationToken);
        details[$"{AdoNet}_stored_writes"] = await StoredWrites.AdoNetAsync(db.ConnectionString, cancellationToken);
        foreach (var (provider, list) in windows)
        {
            var counted = list.Sum(w => w.Writes);
            BenchLog.Info($"{provider}: {details[$"{provider}_stored_writes"]:N0} writes stored, {counted:N0} counted in the measured windows");
            if (details[$"{provider}_stored_writes"] < counted)
            {
                throw new InvalidOperationException($"{provider}: fewer writes stored than acknowledged");
            }
        }

        var value = Stats.Median(windows[Ours].Select(w => w.PerSecond).ToList());
        var baseline = Stats.Median(windows[AdoNet].Select(w => w.PerSecond).ToList());
        var ratio = value / baseline;
        var met = ratio >= 10;
        foreach (var (provider, list) in windows)
        {
            details[$"{provider}_call_ms_p50"] = Math.Round(Stats.Median(list.Select(w => w.P50Ms).ToList()), 2);
            details[$"{provider}_call_ms_p99"] = Math.Round(Stats.Median(list.Select(w => w.P99Ms).ToList()), 2);
        }

        details[$"{Ours}_states_per_transaction"] = batched.Transactions > 0 ? Math.Round((double)batched.States / batched.Transactions, 1) : double.NaN;
        details[$"{Ours}_transaction_ms_mean"] = batched.Transactions > 0 ? Math.Round(batched.CommitSeconds * 1000 / batched.Transactions, 2) : double.NaN;
        BenchLog.Info($"{Ours} {value:N0} states/s vs {AdoNet} {baseline:N0}/s: ratio {ratio:0.0}; goal {(met ? "met" : "MISSED")}");
        return new BenchResult(Name, Math.Round(value), "states/s", Math.Round(baseline), Math.Round(ratio, 2), "≥10x Orleans ADO.NET provider", met)
        {
            BaselineName = "Orleans ADO.NET grain storage (Microsoft.Orleans.Persistence.AdoNet, Npgsql)",
            Details = details,
        }.Finite();
    }

    private static async Task<WriteWindow> MeasureAsync(string provider, string connectionString, int grains, TimeSpan warmup, TimeSpan measure, CancellationToken cancellationToken)
    {
        await using var silo = await BenchSilo.StartAsync(silo =>
        {
            if (provider == Ours)
            {
                silo.AddPostgresGrainStorage(BenchCartGrain.StorageName, o => o.ConnectionString = connectionString);
            }
            else
            {
                AdoNetBaseline.AddStorage(silo, connectionString);
            }
        }, cancellationToken);
        return await WriteLoad.RunAsync(silo, grains, firstKey: 1, warmup, measure, cancellationToken);
    }
}
