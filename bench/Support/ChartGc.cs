using System.Diagnostics;
using System.Text.RegularExpressions;

namespace CartRecovery.Bench.Support;

/// <summary>
/// A GC setting the Helm chart gives one kind of pod: gateways <c>gateway.gcGen0MaxBudget</c> →
/// <c>DOTNET_GCGen0MaxBudget</c>, silos <c>silo.gcGen0Size</c> → <c>DOTNET_GCgen0size</c>. The runtime
/// reads these once at process start and only from the environment, so a scenario that measures such
/// a pod runs itself again as a child process with the variable set.
/// </summary>
/// <param name="pods">The pods that get the setting, for the log line.</param>
/// <param name="valuesKey">The key in values.yaml (unique in the file), whose value is hex bytes per GC heap.</param>
/// <param name="fallback">Used when the chart is not found next to the bench (e.g. a copied binary).</param>
internal sealed class ChartGc(string pods, string variable, string valuesKey, string fallback)
{
    /// <summary>Gateways: a small young-generation budget keeps the memory per connection low.</summary>
    public static readonly ChartGc Gateway = new("gateway", "DOTNET_GCGen0MaxBudget", "gcGen0MaxBudget", "800000");

    /// <summary>Silos: a large young-generation budget lets the records a partition holds die young.</summary>
    public static readonly ChartGc Silo = new("silo", "DOTNET_GCgen0size", "gcGen0Size", "40000000");

    private readonly Regex _line = new($@"^\s*{valuesKey}:\s*""?([0-9A-Fa-f]+)""?\s*$", RegexOptions.Multiline);

    public string Variable { get; } = variable;

    public bool Applied => Environment.GetEnvironmentVariable(Variable) is not null;

    /// <summary>The chart's value, read from charts/cart-recovery/values.yaml above the working directory.</summary>
    public string ChartValue()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var values = Path.Combine(dir.FullName, "charts", "cart-recovery", "values.yaml");
            if (File.Exists(values) && _line.Match(File.ReadAllText(values)) is { Success: true } m)
            {
                return m.Groups[1].Value;
            }
        }

        return fallback;
    }

    /// <summary>Runs this bench again with the setting, passing its output through; returns its exit code.</summary>
    public async Task<int> RunAsChildAsync(IEnumerable<string> args)
    {
        // Output and stdin are inherited, not captured: the child's result line is this run's.
        var (host, arguments) = BenchChild.Command(args);
        var info = new ProcessStartInfo(host, arguments) { UseShellExecute = false };
        var value = ChartValue();
        info.Environment[Variable] = value;
        BenchLog.Info($"measuring the {pods} as the chart runs it: {Variable}={value} (hex bytes per GC heap); restarting in a child process");
        using var child = Process.Start(info) ?? throw new InvalidOperationException("could not start the bench again");
        await child.WaitForExitAsync();
        return child.ExitCode;
    }
}
