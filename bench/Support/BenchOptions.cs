using System.Globalization;

namespace CartRecovery.Bench.Support;

/// <summary>"--name value" options after the scenario name.</summary>
internal static class BenchOptions
{
    public static int Int(string[] args, string name, int fallback) =>
        Find(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public static double Double(string[] args, string name, double fallback) =>
        Find(args, name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public static string? String(string[] args, string name) => Find(args, name);

    public static bool Flag(string[] args, string name) => args.Contains(name);

    private static string? Find(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
