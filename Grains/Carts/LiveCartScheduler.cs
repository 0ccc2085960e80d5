namespace CartRecovery.Grains.Carts;

/// <summary>
/// A grain timer fires at the deadline while the cart is active (to the millisecond), and a durable
/// reminder due a little later brings the cart back if the activation is gone by then (crash,
/// restart, idle collection). The reminder is only moved when it fired or would fire too late, so
/// ordinary activity, which only pushes deadlines later, costs no reminder-table write.
/// </summary>
public sealed class LiveCartScheduler : ICartScheduler
{
    /// <summary>How long after the deadline the reminder is due: the timer normally gets there first.</summary>
    public static readonly TimeSpan ReminderSlack = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A reminder that fired repeats at this period until the cart moves or removes it, so a tick
    /// missed while the silo was down comes within this long of the silo being back.
    /// </summary>
    public static readonly TimeSpan ReminderPeriod = TimeSpan.FromSeconds(1);

    public async Task ScheduleAsync(CartGrain cart, DateTimeOffset? due, DateTimeOffset now)
    {
        cart.DeadlineTimer?.Dispose();
        cart.DeadlineTimer = null;
        var s = cart.S;
        if (due is not { } at)
        {
            if (s.ReminderDueAt is not null)
            {
                if (await cart.GetReminder(CartGrain.TickReminder) is { } reminder)
                {
                    await cart.UnregisterReminder(reminder);
                }

                s.ReminderDueAt = null;
            }

            return;
        }

        var delay = at > now ? at - now : TimeSpan.Zero;
        cart.DeadlineTimer = cart.RegisterGrainTimer(static c => c.Advance(), cart, new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan));
        if (s.ReminderDueAt is not { } registered || registered > at + ReminderSlack || registered < now)
        {
            await cart.RegisterOrUpdateReminder(CartGrain.TickReminder, delay + ReminderSlack, ReminderPeriod);
            s.ReminderDueAt = at + ReminderSlack;
        }
    }
}
