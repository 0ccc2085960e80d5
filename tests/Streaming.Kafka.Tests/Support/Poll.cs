namespace CartRecovery.Streaming.Kafka.Tests.Support;

/// <summary>For state that raises no event of its own (e.g. a consumer's pause flag): re-checks on a short timer.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? period = null)
    {
        var signal = new Signal();
        using var ticker = new Timer(_ => signal.Pulse(), null, TimeSpan.Zero, period ?? TimeSpan.FromMilliseconds(20));
        await signal.WaitUntilAsync(condition, what);
    }
}
