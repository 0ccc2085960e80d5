using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Reports;
using CartRecovery.Grains.Reports;

namespace CartRecovery.Grains.Carts;

/// <summary>
/// The cart's share of the running report totals. When its contribution changes the cart tells its
/// creation day's totals first (durably, with its old contribution and a sequence number), then
/// writes its own state, then acknowledges. A cart whose write failed sends the same sequence number
/// again and the day's totals replace the first notification; one that never sends again is found
/// by the day's reconciliation (<see cref="ReportedSeq"/>) and taken back.
/// </summary>
public sealed partial class CartGrain
{
    /// <summary>The report sequence number in storage (what reconciliation may rely on).</summary>
    private int _durableReportSeq;

    /// <summary>Notifies the day's totals when the contribution changed; returns the notification (null: none).</summary>
    private async Task<ReportNotification?> ReportAsync()
    {
        if (ReportContribution.Of(S) is not { } now || now.SameAs(S.Reported))
        {
            return null;
        }

        var notification = new ReportNotification { CartKey = Key, Seq = S.ReportSeq + 1, Old = S.Reported, New = now };
        await grains.Get<IReportDayGrain>(ReportContribution.Day(S)).Apply(notification);
        S.Reported = now;
        S.ReportSeq = notification.Seq;
        return notification;
    }

    private void AckReport(ReportNotification? notification)
    {
        _durableReportSeq = S.ReportSeq;
        if (notification is not null)
        {
            // One-way: a lost acknowledgement only leaves the entry to reconciliation.
            grains.Get<IReportDayGrain>(ReportContribution.Day(S)).Ack(Key, notification.Seq);
        }
    }

    public Task<int> ReportedSeq() => Task.FromResult(_durableReportSeq);

    public Task SyncReport() =>
        ReportContribution.Of(S) is { } now && !now.SameAs(S.Reported) ? CommitAsync(policy.Current, TimeSpan.FromSeconds(1)) : Task.CompletedTask;
}
