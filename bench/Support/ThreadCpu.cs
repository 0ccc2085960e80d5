using System.Runtime.InteropServices;

namespace CartRecovery.Bench.Support;

/// <summary>
/// CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID), for single-threaded cost
/// measurements that stay meaningful when other processes share the cores. Only valid while the
/// measured work completes synchronously on this thread.
/// </summary>
internal static class ThreadCpu
{
    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>Microseconds of CPU this thread has used (NaN where unsupported).</summary>
    public static double Microseconds()
    {
        if (!OperatingSystem.IsLinux() || ClockGetTime(ClockThreadCpuTime, out var t) != 0)
        {
            return double.NaN;
        }

        return t.Seconds * 1e6 + t.Nanoseconds / 1e3;
    }

    /// <summary>Runs <paramref name="body"/> and returns (wall µs, this thread's CPU µs, whether it stayed on this thread).</summary>
    public static async Task<(double WallUs, double CpuUs, bool SameThread)> MeasureAsync(Func<Task> body)
    {
        var thread = Environment.CurrentManagedThreadId;
        var cpu = Microseconds();
        var wall = System.Diagnostics.Stopwatch.GetTimestamp();
        await body();
        var wallUs = System.Diagnostics.Stopwatch.GetElapsedTime(wall).TotalMicroseconds;
        var same = Environment.CurrentManagedThreadId == thread;
        return (wallUs, same ? Microseconds() - cpu : double.NaN, same);
    }
}
