using System.Diagnostics;
using System.Globalization;

namespace CartRecovery.Bench.Support;

/// <summary>Progress lines on stderr (stdout carries only the result line).</summary>
internal static class BenchLog
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static void Info(string message) =>
        Console.Error.WriteLine($"[{Clock.Elapsed.TotalSeconds,7:0.0}s] {message}");

    public static string F(double value, string format = "0.##") => value.ToString(format, CultureInfo.InvariantCulture);
}
