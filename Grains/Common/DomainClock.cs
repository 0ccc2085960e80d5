namespace CartRecovery.Grains.Common;

/// <summary>
/// The clock of the product's rules (deadlines, attribution windows, frequency caps). Live it is
/// the system clock; replay runs it on event time. Kept apart from the <see cref="TimeProvider"/>
/// Orleans itself uses, so a compressed replay clock never reaches membership or call timeouts.
/// </summary>
public sealed class DomainClock(TimeProvider time)
{
    public static DomainClock System { get; } = new(TimeProvider.System);

    public TimeProvider Time => time;

    public DateTimeOffset Now => time.GetUtcNow();
}
