using System.Globalization;

namespace CartRecovery.Bench.Support;

/// <summary>The 1-minute load average (Linux), to tell a quiet run from one sharing the cores with other work.</summary>
internal static class MachineLoad
{
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
