using System.Text.Json;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Replay;
using CartRecovery.TestSupport;

namespace CartRecovery.Grains.Tests;

public sealed class ReplayTests
{
    [Fact]
    public async Task Without_a_database_the_replay_keeps_states_in_a_scratch_file_and_deletes_it_at_the_end()
    {
        using var scratch = new TempDirectory("cr-replay-scratch-");
        var seenDuringRun = new List<string>();
        var progress = new SynchronousProgress(_ => seenDuringRun.AddRange(scratch.Files()));
        var result = await ReplayRunner.RunAsync(
            new ReplayOptions { Input = SharedData.Rees46, Seed = 7, ScratchDirectory = scratch.Path, Settings = new Dictionary<string, string?> { ["Policy:MinCartValue"] = "0" } },
            progress, CancellationToken.None);

        Assert.True(result.Scanned?.CartsCreated > 0, "no cart was stored");
        Assert.Contains(seenDuringRun, f => f.StartsWith("cart-recovery-replay-", StringComparison.Ordinal) && f.EndsWith(".db", StringComparison.Ordinal));
        Assert.Empty(scratch.Files());
    }

    // Reports on the caller's thread, while the replay runs (Progress<T> would post them elsewhere, later).
    private sealed class SynchronousProgress(Action<ReplayProgress> report) : IProgress<ReplayProgress>
    {
        public void Report(ReplayProgress value) => report(value);
    }

    [Fact]
    public async Task Replaying_the_real_rees46_slice_twice_gives_the_same_report()
    {
        // Each run over a fresh file of its own (the runner's default would be left in the temp directory).
        using var firstDatabase = new TempSqliteFile("cr-replay-");
        using var secondDatabase = new TempSqliteFile("cr-replay-");
        ReplayOptions Options(TempSqliteFile database) => new()
        {
            Input = SharedData.Rees46,
            Seed = 7,
            StorageConnectionString = database.ConnectionString,
            Settings = new Dictionary<string, string?> { ["Policy:MinCartValue"] = "0" },
        };

        var first = await ReplayRunner.RunAsync(Options(firstDatabase), null, CancellationToken.None);
        var second = await ReplayRunner.RunAsync(Options(secondDatabase), null, CancellationToken.None);
        var a = JsonSerializer.Serialize(first.Report, GrainsJsonContext.Default.RecoveryReport);
        var b = JsonSerializer.Serialize(second.Report, GrainsJsonContext.Default.RecoveryReport);
        Assert.Equal(a, b);

        // The report is read from the running totals; a scan of every stored cart agrees with them.
        Assert.Equal(a, JsonSerializer.Serialize(first.Scanned, GrainsJsonContext.Default.RecoveryReport));
        Assert.True(first.Report.CartsCreated > 50, a);
        Assert.True(first.Report.CartsNudged > 0, a);
        Assert.True(first.RemindersFired > 0);
    }

    [Fact]
    public void Retailrocket_mapping_derives_sessions_and_stable_prices()
    {
        var events = StorefrontLog.Load(SharedData.Retailrocket);
        Assert.True(events.Count > 6818, "session_start and consent events are added");
        Assert.All(events.Zip(events.Skip(1)), p => Assert.True(p.First.OccurredAt <= p.Second.OccurredAt));
        var prices = events.Where(e => e.Item is not null).GroupBy(e => e.Item!.Sku).Select(g => g.Select(e => e.Item!.Price).Distinct().Count());
        Assert.All(prices, c => Assert.Equal(1, c));
        Assert.All(events.Where(e => e.Item is not null), e => Assert.InRange(e.Item!.Price, 5, 200));
        Assert.Equal(32, events.Count(e => e.Type == EventTypes.Purchase));
    }

    [Fact]
    public void Scaling_repeats_sessions_under_fresh_ids()
    {
        var once = StorefrontLog.Load(SharedData.Rees46);
        var thrice = StorefrontLog.Load(SharedData.Rees46, scale: 3);
        Assert.Equal(once.Count(e => e.Type != EventTypes.Consent) * 3, thrice.Count(e => e.Type != EventTypes.Consent));
        Assert.Equal(thrice.Count, thrice.Select(e => e.EventId).Distinct().Count());
        Assert.Equal(once.Select(e => e.ShopperId).Distinct().Count() * 3, thrice.Select(e => e.ShopperId).Distinct().Count());
    }
}
