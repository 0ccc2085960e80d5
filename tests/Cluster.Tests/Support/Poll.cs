using System.Diagnostics;

namespace CartRecovery.Cluster.Tests.Support;

/// <summary>Waiting on a condition with a deadline (never a fixed sleep).</summary>
internal static class Poll
{
    /// <summary>
    /// Evaluates <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes;
    /// exceptions count as "not yet" (storage restarting, a process still starting).
    /// </summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return true;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                if (watch.Elapsed >= timeout)
                {
                    throw;
                }
            }

            if (watch.Elapsed >= timeout)
            {
                return false;
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(200));
        }
    }

    public static Task<bool> UntilAsync(Func<bool> condition, TimeSpan timeout, TimeSpan? interval = null) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, interval);
}
