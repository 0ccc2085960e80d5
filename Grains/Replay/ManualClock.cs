namespace CartRecovery.Grains.Replay;

/// <summary>A clock the replay moves by hand: event time, compressed, drives idle detection.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Set(DateTimeOffset at)
    {
        if (at.UtcTicks > Interlocked.Read(ref _ticks))
        {
            Interlocked.Exchange(ref _ticks, at.UtcTicks);
        }
    }
}
