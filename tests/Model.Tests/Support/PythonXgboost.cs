using System.Diagnostics;

namespace CartRecovery.Model.Tests.Support;

/// <summary>
/// Runs Debian's python3 (only /usr/bin/python3 has numpy, xgboost and onnx) on a script the test writes.
/// A missing interpreter or module fails the test: parity and validity are requirements, not optional extras.
/// </summary>
public static class PythonXgboost
{
    public const string Interpreter = "/usr/bin/python3";

    public static string Run(string workDirectory, string script, params string[] args)
    {
        var scriptPath = Path.Combine(workDirectory, "script.py");
        File.WriteAllText(scriptPath, script);
        var psi = new ProcessStartInfo(Interpreter)
        {
            WorkingDirectory = workDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(scriptPath);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        // Spinning OpenMP workers slow everything else in a parallel test run to a crawl.
        psi.Environment["OMP_NUM_THREADS"] = "2";
        psi.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + Interpreter);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("python script did not finish in 2 minutes");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"python exited {process.ExitCode}: {stderr.Result}");
        }

        return stdout.Result;
    }
}
