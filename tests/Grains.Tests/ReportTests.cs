using System.Text.Json;
using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Reports;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Reports;
using Microsoft.Extensions.DependencyInjection;

namespace CartRecovery.Grains.Tests;

public sealed class ReportTests
{
    private static readonly DateTimeOffset Day = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    private static CartState AtRisk(string group, bool converted) => new()
    {
        CreatedAt = Day,
        Group = group,
        IdleAt = Day.AddMinutes(5),
        Stage = converted ? CartStages.Purchased : CartStages.Expired,
        PurchasedAt = converted ? Day.AddMinutes(30) : null,
        Revenue = converted ? 20 : 0,
    };

    [Fact]
    public void The_uplift_and_its_confidence_interval_match_a_hand_computed_example()
    {
        // Treatment: 10 of 40 at-risk carts converted (0.25); control: 2 of 20 (0.10); 7 carts never at risk.
        var carts = new List<CartState>();
        carts.AddRange(Enumerable.Range(0, 40).Select(i => AtRisk("treatment", i < 10)));
        carts.AddRange(Enumerable.Range(0, 20).Select(i => AtRisk("control", i < 2)));
        carts.AddRange(Enumerable.Range(0, 7).Select(_ => new CartState { CreatedAt = Day, Stage = CartStages.Purchased, PurchasedAt = Day, Revenue = 5 }));

        var r = RecoveryReport.Compute(carts, null, null);
        Assert.Equal(67, r.CartsCreated);
        Assert.Equal(60, r.CartsAbandoned);
        Assert.Equal((40, 10, 0.25), (r.Treatment.AtRisk, r.Treatment.Converted, r.Treatment.Rate));
        Assert.Equal((20, 2, 0.1), (r.Control.AtRisk, r.Control.Converted, r.Control.Rate));

        // uplift = 0.25 - 0.10 = 0.15; se = sqrt(0.25*0.75/40 + 0.1*0.9/20) = sqrt(0.0091875) = 0.0958514;
        // 1.96 * se = 0.1878688, so the interval is [-0.037869, 0.337869].
        Assert.Equal(0.15, r.Uplift, 9);
        Assert.Equal([-0.037869, 0.337869], r.UpliftCi95);

        // An empty group contributes no variance; an empty report is all zeros.
        var onlyTreatment = RecoveryReport.Compute(carts.Take(40), null, null);
        Assert.Equal(0.25, onlyTreatment.Uplift, 9);
        var se = Math.Sqrt(0.25 * 0.75 / 40);
        Assert.Equal([Math.Round(0.25 - 1.96 * se, 6), Math.Round(0.25 + 1.96 * se, 6)], onlyTreatment.UpliftCi95);
        Assert.Equal([0.0, 0.0], RecoveryReport.Compute([], null, null).UpliftCi95);
    }

    [Fact]
    public async Task The_running_totals_give_the_same_report_as_a_scan_of_every_cart()
    {
        await using var host = await DomainHost.StartAsync(new() { ["Policy:ControlFraction"] = "0.3", ["Policy:AttributionWindowHours"] = "1", ["Policy:ExpireAfterHours"] = "2" });
        var shoppers = Enumerable.Range(0, 40).Select(i => "r" + i).ToArray();
        foreach (var (s, i) in shoppers.Select((s, i) => (s, i)))
        {
            if (i % 2 == 0)
            {
                await host.Grains.GetGrain<IShopperGrain>(s).Connect();
            }

            await host.IngestAsync(host.Add(s, i, "A", 20 + i));
            if (i % 7 == 0)
            {
                await host.IngestAsync(host.Purchase(s, i + 10, 20 + i, "A"));
            }
        }

        await host.AdvanceAsync(120);
        foreach (var s in shoppers.Take(12))
        {
            var cart = await host.CartAsync(s);
            if (cart.Nudges.FirstOrDefault() is { } nudge)
            {
                await host.IngestAsync(host.Event(EventTypes.NudgeClicked, s, 130, e => e.Nudge = new NudgeRef { NudgeId = nudge.NudgeId }));
                await host.IngestAsync(host.Purchase(s, 140, 33.33, "A"));
            }
        }

        var reports = new RecoveryReports(host.Grains);
        var scan = await RecoveryReport.FromSourceAsync(host.Services.GetRequiredService<ICartStateSource>(), null, null, CancellationToken.None);
        var running = await reports.GetAsync(null, null, CancellationToken.None);
        Assert.True(scan.CartsRecovered > 0 && scan.Control.AtRisk > 0 && scan.NudgesClicked > 0, Json(scan));
        Assert.Equal(Json(scan), Json(running));

        // Later stage changes (expiry) move the running totals with them.
        await host.AdvanceAsync(3 * 3600);
        scan = await RecoveryReport.FromSourceAsync(host.Services.GetRequiredService<ICartStateSource>(), null, null, CancellationToken.None);
        Assert.True(scan.CartsExpired > 0, Json(scan));
        Assert.Equal(Json(scan), Json(await reports.GetAsync(null, null, CancellationToken.None)));
    }

    [Fact]
    public async Task From_and_to_select_carts_by_creation_day()
    {
        await using var host = await DomainHost.StartAsync();
        await host.IngestAsync(host.Add("day1", 0, "A", 10));
        await host.IngestAsync(host.Add("day2", 86_400, "A", 10), host.Add("day2b", 86_400 + 3600, "A", 10));
        var reports = new RecoveryReports(host.Grains);
        var day2 = DomainHost.Start.AddDays(1);
        Assert.Equal(3, (await reports.GetAsync(null, null, CancellationToken.None)).CartsCreated);
        Assert.Equal(2, (await reports.GetAsync(day2.AddHours(5), null, CancellationToken.None)).CartsCreated);
        Assert.Equal(1, (await reports.GetAsync(null, day2.Date, CancellationToken.None)).CartsCreated);
        Assert.Equal(3, (await reports.GetAsync(null, day2.AddMinutes(1), CancellationToken.None)).CartsCreated);
    }

    [Fact]
    public async Task A_notification_sent_again_is_not_counted_twice_and_one_never_stored_is_taken_back()
    {
        ReportDayGrain.ReconcileAfter = TimeSpan.FromMilliseconds(100);
        await using var host = await DomainHost.StartAsync();
        var day = host.Grains.GetGrain<IReportDayGrain>("2026-01-01");
        static ReportTotals T(int created, int active, long cents = 0) => new() { CartsCreated = created, ActiveCarts = active, RecoveredRevenueCents = cents };

        await day.Apply(new ReportNotification { CartKey = "s/c", Seq = 1, New = T(1, 1) });
        await day.Apply(new ReportNotification { CartKey = "s/c", Seq = 1, New = T(1, 1) });
        Assert.True(T(1, 1).SameAs(await day.Get()));

        // The cart's write failed and it derived another contribution under the same number: it replaces the first.
        await day.Apply(new ReportNotification { CartKey = "s/c", Seq = 1, New = T(1, 0, 1234) });
        Assert.True(T(1, 0, 1234).SameAs(await day.Get()));
        await day.Ack("s/c", 1);
        await day.Apply(new ReportNotification { CartKey = "s/c", Seq = 2, Old = T(1, 0, 1234), New = T(1, 0, 99) });
        await day.Apply(new ReportNotification { CartKey = "s/c", Seq = 1, New = T(1, 1) }); // older than the latest: ignored
        await day.Ack("s/c", 2);
        Assert.True(T(1, 0, 99).SameAs(await day.Get()));

        // A cart that never stored its notification (nothing there: it answers 0) has it taken back.
        await day.Apply(new ReportNotification { CartKey = "ghost/cart", Seq = 1, New = T(1, 1) });
        Assert.True(T(2, 1, 99).SameAs(await day.Get()));
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!T(1, 0, 99).SameAs(await day.Get()) && DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }

        Assert.True(T(1, 0, 99).SameAs(await day.Get()), JsonSerializer.Serialize(await day.Get(), GrainsJsonContext.Default.ReportTotals));
    }

    [Fact]
    public async Task Carts_stored_before_running_totals_are_backfilled_once()
    {
        using var database = LiveSilo.NewDatabase();
        var quiet = new Dictionary<string, string?> { ["Policy:OnsiteDelaySeconds"] = "600", ["Policy:AbandonAfterSeconds"] = "900" };
        var now = DateTimeOffset.UtcNow;
        await using (var first = await LiveSilo.StartAsync(database, quiet))
        {
            await first.IngestAsync(LiveSilo.Add("old1", now), LiveSilo.Add("old2", now), LiveSilo.Add("old3", now));
        }

        // What the previous release stored: carts that never reported, and no totals.
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database.Path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                UPDATE grain_state SET payload = json_remove(payload, '$.report_seq', '$.reported') WHERE grain_type = 'cart';
                DELETE FROM grain_state WHERE grain_type IN ('reportday', 'reportindex');
                """;
            await command.ExecuteNonQueryAsync();
        }

        await using var second = await LiveSilo.StartAsync(database, quiet);
        var reports = new RecoveryReports(second.Grains);
        Assert.Equal(0, (await reports.GetAsync(null, null, CancellationToken.None)).CartsCreated);
        var source = second.Services.GetRequiredService<ICartStateSource>();
        Assert.Equal(3, await RecoveryReports.BackfillAsync(source, second.Grains, CancellationToken.None));
        Assert.Equal(3, (await reports.GetAsync(null, null, CancellationToken.None)).CartsCreated);
        Assert.Equal(0, await RecoveryReports.BackfillAsync(source, second.Grains, CancellationToken.None));
        Assert.Equal(3, (await reports.GetAsync(null, null, CancellationToken.None)).ActiveCarts);
    }

    private static string Json(RecoveryReport r) => JsonSerializer.Serialize(r, GrainsJsonContext.Default.RecoveryReport);
}
