using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Reports;
using CartRecovery.Grains.Common;
using Orleans.Concurrency;

namespace CartRecovery.Grains.Reports;

/// <summary>
/// Running report totals of the carts created on one day. Notifications of many carts interleave
/// (each changes memory synchronously, then awaits a write that several share), so one day takes
/// as many as the storage's group commit does. Per cart only the latest unacknowledged
/// notification is kept: sent again it replaces itself, acknowledged it is forgotten.
/// </summary>
[GrainType("reportday"), Reentrant]
public sealed class ReportDayGrain([PersistentState("reportday")] IPersistentState<ReportDayState> state, TimeProvider time) : Grain, IReportDayGrain
{
    public const string IndexKey = "recovery";

    /// <summary>How old an unacknowledged notification gets before its cart is asked whether it stored it.</summary>
    internal static TimeSpan ReconcileAfter { get; set; } = TimeSpan.FromMinutes(1);

    private readonly SerialStateWriter<ReportDayState> _writer = new(state);
    private bool _indexed;
    private bool _dirty;
    private bool _reconciling;

    private ReportDayState S => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _indexed = state.RecordExists;
        var period = ReconcileAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : ReconcileAfter;
        this.RegisterGrainTimer(static g => g.ReconcileAsync(), this, new GrainTimerCreationOptions(period, period) { Interleave = true });
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_dirty)
        {
            // Acknowledgements are written lazily; one lost here only leaves an entry to reconciliation.
            try
            {
                await _writer.SaveAsync();
            }
            catch (Exception)
            {
            }
        }
    }

    public async Task Apply(ReportNotification n)
    {
        if (!_indexed)
        {
            // Listed before its first write, so every day that has totals is in the index.
            await GrainFactory.GetGrain<IReportIndexGrain>(IndexKey).Add(this.GetPrimaryKeyString());
            _indexed = true;
        }

        if (S.Unacked.TryGetValue(n.CartKey, out var previous))
        {
            if (previous.Seq > n.Seq)
            {
                return; // older than what the cart sent since
            }

            if (previous.Seq == n.Seq)
            {
                // Sent again after the cart failed to store it: the first one is taken back.
                Undo(previous);
            }
        }

        n.AppliedAt = time.GetUtcNow();
        S.Totals.Add(n.Old, -1);
        S.Totals.Add(n.New);
        S.Unacked[n.CartKey] = n;
        await SaveAsync();
    }

    public Task Ack(string cartKey, int seq)
    {
        if (S.Unacked.TryGetValue(cartKey, out var n) && n.Seq <= seq)
        {
            S.Unacked.Remove(cartKey);
            _dirty = true;
        }

        return Task.CompletedTask;
    }

    public Task<ReportTotals> Get() => Task.FromResult(S.Totals);

    /// <summary>
    /// Entries long unacknowledged: their cart is asked what it stored. A cart that stored the
    /// notification only lost its acknowledgement; one that did not (its write failed and it never
    /// sent again) has its notification taken back.
    /// </summary>
    internal async Task ReconcileAsync()
    {
        if (_reconciling)
        {
            return;
        }

        _reconciling = true;
        try
        {
            var cutoff = time.GetUtcNow() - ReconcileAfter;
            var changed = false;
            foreach (var n in S.Unacked.Values.Where(n => n.AppliedAt <= cutoff).ToList())
            {
                var stored = await GrainFactory.GetGrain<ICartGrain>(n.CartKey).ReportedSeq();
                if (!S.Unacked.TryGetValue(n.CartKey, out var current) || !ReferenceEquals(current, n))
                {
                    continue; // replaced or acknowledged meanwhile
                }

                if (stored < n.Seq)
                {
                    Undo(n);
                }

                S.Unacked.Remove(n.CartKey);
                changed = true;
            }

            if (changed || _dirty)
            {
                await SaveAsync();
            }
        }
        finally
        {
            _reconciling = false;
        }
    }

    private void Undo(ReportNotification n)
    {
        S.Totals.Add(n.New, -1);
        S.Totals.Add(n.Old);
    }

    private async Task SaveAsync()
    {
        _dirty = false;
        try
        {
            await _writer.SaveAsync();
        }
        catch
        {
            // Memory may be ahead of storage; carts whose notification failed send it again.
            this.DeactivateOnIdle();
            throw;
        }
    }
}
