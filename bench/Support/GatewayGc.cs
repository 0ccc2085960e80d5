using System.Diagnostics;
using System.Text.RegularExpressions;

namespace CartRecovery.Bench.Support;

/// <summary>
/// The GC setting the Helm chart gives gateway pods (<c>gateway.gcGen0MaxBudget</c> →
/// <c>DOTNET_GCGen0MaxBudget</c>). GC settings are read once at process start, so a scenario that
/// measures a gateway runs itself again as a child process with the variable set.
/// </summary>
internal static partial class GatewayGc
{
    public const string Variable = "DOTNET_GCGen0MaxBudget";

    /// <summary>Used when the chart is not found next to the bench (e.g. a copied binary).</summary>
    private const string Fallback = "800000";

    public static bool Applied => Environment.GetEnvironmentVariable(Variable) is not null;

    /// <summary>The chart's value, read from charts/cart-recovery/values.yaml above the working directory.</summary>
    public static string ChartValue()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var values = Path.Combine(dir.FullName, "charts", "cart-recovery", "values.yaml");
            if (File.Exists(values) && BudgetLine().Match(File.ReadAllText(values)) is { Success: true } m)
            {
                return m.Groups[1].Value;
            }
        }

        return Fallback;
    }

    /// <summary>Runs this bench again with the gateway's GC setting, passing its output through; returns its exit code.</summary>
    public static async Task<int> RunAsChildAsync(IEnumerable<string> args)
    {
        // Output and stdin are inherited, not captured: the child's result line is this run's.
        var (host, arguments) = BenchChild.Command(args);
        var info = new ProcessStartInfo(host, arguments) { UseShellExecute = false };
        var value = ChartValue();
        info.Environment[Variable] = value;
        BenchLog.Info($"measuring the gateway as the chart runs it: {Variable}={value} (hex bytes per GC heap); restarting in a child process");
        using var child = Process.Start(info) ?? throw new InvalidOperationException("could not start the bench again");
        await child.WaitForExitAsync();
        return child.ExitCode;
    }

    [GeneratedRegex(@"^\s*gcGen0MaxBudget:\s*""?([0-9A-Fa-f]+)""?\s*$", RegexOptions.Multiline)]
    private static partial Regex BudgetLine();
}
