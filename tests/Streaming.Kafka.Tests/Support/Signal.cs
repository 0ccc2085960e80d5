namespace CartRecovery.Streaming.Kafka.Tests.Support;

/// <summary>Wakes waiters whenever observed state changes, so tests wait on events instead of polling with sleeps.</summary>
public sealed class Signal
{
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Pulse() => Interlocked.Exchange(ref _changed, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TestKafka.Timeout);
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (condition())
            {
                return;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }

            await Task.WhenAny(changed, Task.Delay(left)).ConfigureAwait(false);

            // Not re-checking after the deadline makes a missing Pulse fail loudly instead of costing the full timeout.
            if (!changed.IsCompleted)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }
        }
    }
}
