using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Reports;

namespace CartRecovery.Grains.Reports;

/// <summary>
/// The recovery report from the running totals: one grain call per creation day asked for,
/// whatever the number of carts. <c>from</c>/<c>to</c> select carts by creation day (UTC): the day
/// of <c>from</c> is included whole, and so is the day of <c>to</c> unless <c>to</c> is its midnight.
/// </summary>
public sealed class RecoveryReports(IGrainFactory grains)
{
    public async Task<RecoveryReport> GetAsync(DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        var days = await grains.GetGrain<IReportIndexGrain>(ReportDayGrain.IndexKey).Days().WaitAsync(cancellationToken);
        var first = from is { } f ? ReportContribution.DayOf(f) : null;
        var last = to is { } t ? (t > DateTimeOffset.MinValue ? ReportContribution.DayOf(t.AddTicks(-1)) : "") : null;
        var selected = days.Where(d => (first is null || string.CompareOrdinal(d, first) >= 0) && (last is null || string.CompareOrdinal(d, last) <= 0));
        var parts = await Task.WhenAll(selected.Select(d => grains.GetGrain<IReportDayGrain>(d).Get())).WaitAsync(cancellationToken);
        var totals = new ReportTotals();
        foreach (var part in parts)
        {
            totals.Add(part);
        }

        return RecoveryReport.FromTotals(totals, from, to);
    }

    /// <summary>
    /// Makes every stored cart that has never reported (stored before running totals existed) report
    /// its contribution, a few at a time. Idempotent: a cart that has reported does nothing. Returns
    /// how many carts were asked.
    /// </summary>
    public static async Task<int> BackfillAsync(ICartStateSource carts, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var asked = 0;
        using var slots = new SemaphoreSlim(16);
        var running = new List<Task>();
        await foreach (var cart in carts.ReadAllAsync(cancellationToken))
        {
            if (cart.ReportSeq > 0 || cart.CreatedAt == default)
            {
                continue;
            }

            await slots.WaitAsync(cancellationToken);
            asked++;
            running.Add(SyncAsync(grains.GetGrain<ICartGrain>($"{cart.ShopperId}/{cart.CartId}"), slots));
            running.RemoveAll(t => t.IsCompletedSuccessfully);
        }

        await Task.WhenAll(running);
        return asked;

        static async Task SyncAsync(ICartGrain cart, SemaphoreSlim slots)
        {
            try
            {
                await cart.SyncReport();
            }
            finally
            {
                slots.Release();
            }
        }
    }
}
