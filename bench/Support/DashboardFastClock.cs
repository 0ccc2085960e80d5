namespace CartRecovery.Bench.Support;

/// <summary>
/// Wall-clock time whose timers run <c>factor</c> times faster. Given only to the dashboard service
/// of a separate short-lived app, so its once-a-second snapshot loop ticks often enough to fill and
/// overflow the 300-entry history within seconds (the history bound check).
/// </summary>
internal sealed class DashboardFastClock(double factor) : TimeProvider
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        System.CreateTimer(callback, state, Scale(dueTime), Scale(period));

    private TimeSpan Scale(TimeSpan t) => t == Timeout.InfiniteTimeSpan || t <= TimeSpan.Zero ? t : TimeSpan.FromTicks(Math.Max(1, (long)(t.Ticks / factor)));
}
