using System.Globalization;

namespace CartRecovery.Bench.Support;

/// <summary>Load of the whole machine (Linux), to tell a quiet run from one sharing the cores with other work.</summary>
internal static class MachineLoad
{
    /// <summary>Busy and total CPU time of all cores so far, in clock ticks (<c>/proc/stat</c>).</summary>
    public readonly record struct CpuTimes(long Busy, long Total)
    {
        /// <summary>Cores busy on average since <paramref name="start"/>, whichever process used them.</summary>
        public double BusyCoresSince(CpuTimes start) =>
            Total > start.Total ? (Busy - start.Busy) / (double)(Total - start.Total) * Environment.ProcessorCount : double.NaN;
    }

    public static CpuTimes Cpu()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
            var ticks = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var idle = ticks[3] + (ticks.Length > 4 ? ticks[4] : 0);
            var total = ticks.Take(8).Sum();
            return new CpuTimes(total - idle, total);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return default;
        }
    }

    public static double OneMinute()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }
    }

    /// <summary>Logs the load average and warns when the machine is busy with other work.</summary>
    public static double Check(string scenario)
    {
        var load = OneMinute();
        BenchLog.Info(load > Environment.ProcessorCount
            ? $"{scenario}: WARNING load average {load:0.0} on {Environment.ProcessorCount} cores before the run; other work shares the CPU, figures will be low and noisy"
            : $"{scenario}: load average {load:0.0} on {Environment.ProcessorCount} cores before the run");
        return load;
    }
}
