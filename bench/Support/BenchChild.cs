using System.Reflection;
using CartRecovery.TestSupport;

namespace CartRecovery.Bench.Support;

/// <summary>
/// This bench binary started again as a child (e.g. <c>signalr --client ...</c>, a Kafka failover
/// silo): a line protocol over its stdin/stdout, its stderr passed through.
/// </summary>
internal static class BenchChild
{
    public static ChildProcess Start(string name, IEnumerable<string> args, string stderrPrefix = "")
    {
        var (host, arguments) = Command(args);

        // The gateway's GC cap is for the measured server, not for the load it talks to.
        return ChildProcess.Start(name, host, arguments, new Dictionary<string, string?> { [ChartGc.Gateway.Variable] = null },
            keepStdinOpen: true, onStderr: line => Console.Error.WriteLine(stderrPrefix + line));
    }

    /// <summary>The host and arguments that run this bench again with <paramref name="args"/>.</summary>
    public static (string Host, List<string> Arguments) Command(IEnumerable<string> args)
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var arguments = Path.GetFileNameWithoutExtension(host) == "dotnet" ? [Assembly.GetEntryAssembly()!.Location] : new List<string>();
        arguments.AddRange(args);
        return (host, arguments);
    }

    /// <summary>The rest of the next stdout line starting with <paramref name="prefix"/> (other lines are skipped).</summary>
    public static async Task<string> WaitForAsync(this ChildProcess child, string prefix, TimeSpan timeout, CancellationToken cancellationToken) =>
        (await child.WaitForLineAsync(l => l.StartsWith(prefix, StringComparison.Ordinal), timeout, cancellationToken, $"'{prefix}'"))[prefix.Length..].Trim();
}
