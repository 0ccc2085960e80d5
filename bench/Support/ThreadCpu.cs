using System.Globalization;

namespace CartRecovery.Bench.Support;

/// <summary>
/// CPU time of this process's threads grouped by thread name (Linux <c>/proc/self/task</c>; .NET
/// names its threads, e.g. ".NET TP Worker", ".NET Server GC", ".NET SocketEng"), so a run can say
/// where the cores went without a profiler. Empty where /proc is not available.
/// </summary>
internal static class ThreadCpu
{
    private const double TicksPerSecond = 100; // USER_HZ

    /// <summary>CPU seconds so far per thread id, with the thread's name.</summary>
    public static Dictionary<int, (string Name, double Seconds)> Sample()
    {
        var result = new Dictionary<int, (string, double)>();
        if (!Directory.Exists("/proc/self/task"))
        {
            return result;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var open = stat.IndexOf('(');
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                result[int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture)] = (stat[(open + 1)..close], ticks / TicksPerSecond);
            }
            catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                // The thread ended while it was being read.
            }
        }

        return result;
    }

    /// <summary>Cores used per thread name between two samples (threads that ended in between are missing).</summary>
    public static Dictionary<string, double> CoresBetween(Dictionary<int, (string Name, double Seconds)> a, Dictionary<int, (string Name, double Seconds)> b, double wallSeconds)
    {
        var result = new Dictionary<string, double>();
        foreach (var (tid, (name, seconds)) in b)
        {
            var before = a.TryGetValue(tid, out var x) && x.Name == name ? x.Seconds : 0;
            result[name] = result.GetValueOrDefault(name) + (seconds - before) / wallSeconds;
        }

        return result;
    }
}
