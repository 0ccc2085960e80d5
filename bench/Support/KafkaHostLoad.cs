using System.Globalization;

namespace CartRecovery.Bench.Support;

/// <summary>
/// What the rest of the machine was doing during a measurement (Linux /proc): busy cores of the
/// whole machine, CPU of the PostgreSQL server processes, and the load average. Benchmarks share
/// the machine with builds and tests, so the numbers say how contended a run was.
/// </summary>
internal sealed class KafkaHostLoad
{
    private readonly long _machineBusy0;
    private readonly long _machineTotal0;
    private readonly long _postgres0;
    private readonly DateTime _at0 = DateTime.UtcNow;

    private KafkaHostLoad()
    {
        (_machineBusy0, _machineTotal0) = MachineTicks();
        _postgres0 = ProcessTicks("postgres");
    }

    public static KafkaHostLoad Start() => new();

    /// <summary>Busy cores of the machine, cores used by postgres processes, and the 1-minute load average, since start.</summary>
    public (double MachineBusyCores, double PostgresCores, double LoadAverage) Stop()
    {
        var (busy, total) = MachineTicks();
        var postgres = ProcessTicks("postgres");
        var seconds = (DateTime.UtcNow - _at0).TotalSeconds;
        var totalTicks = total - _machineTotal0;
        var cores = Environment.ProcessorCount;
        var machine = totalTicks > 0 ? (busy - _machineBusy0) / (double)totalTicks * cores : double.NaN;
        var pg = seconds > 0 ? (postgres - _postgres0) / 100.0 / seconds : double.NaN;
        return (machine, pg, LoadAverage());
    }

    public static double LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }
    }

    private static (long Busy, long Total) MachineTicks()
    {
        try
        {
            var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
            var idle = f[3] + (f.Length > 4 ? f[4] : 0);
            var total = f.Sum();
            return (total - idle, total);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return (0, 0);
        }
    }

    /// <summary>utime + stime (clock ticks, 100/s) of every process with this command name.</summary>
    private static long ProcessTicks(string command)
    {
        long sum = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsDigit(name[0]))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(dir, "comm")).Trim() != command)
                {
                    continue;
                }

                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                sum += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
            }
        }

        return sum;
    }
}
