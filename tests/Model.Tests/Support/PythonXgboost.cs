using CartRecovery.TestSupport;

namespace CartRecovery.Model.Tests.Support;

/// <summary>
/// Runs Debian's python3 (only /usr/bin/python3 has numpy, xgboost and onnx) on a script the test writes.
/// A missing interpreter or module fails the test: parity and validity are requirements, not optional extras.
/// </summary>
public static class PythonXgboost
{
    public const string Interpreter = "/usr/bin/python3";

    // Spinning OpenMP workers slow everything else in a parallel test run to a crawl.
    private static readonly Dictionary<string, string?> OpenMp = new() { ["OMP_NUM_THREADS"] = "2", ["OMP_WAIT_POLICY"] = "PASSIVE" };

    /// <returns>What the script printed on stdout.</returns>
    public static string Run(string workDirectory, string script, params string[] args)
    {
        var scriptPath = Path.Combine(workDirectory, "script.py");
        File.WriteAllText(scriptPath, script);

        // Callers are synchronous (fixtures, Lazy); ProcessRun does not capture the synchronization context.
        var result = ProcessRun.RunAsync(Interpreter, [scriptPath, .. args], TimeSpan.FromMinutes(2), workDirectory, OpenMp).GetAwaiter().GetResult();
        if (result.TimedOut)
        {
            throw new TimeoutException("python script did not finish in 2 minutes");
        }

        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"python exited {result.ExitCode}: {result.Stderr}");
        }

        return result.Stdout;
    }
}
