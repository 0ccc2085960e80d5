using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace CartRecovery.TestSupport;

/// <summary>What a command run to completion printed and returned.</summary>
/// <param name="ExitCode">The exit code; -1 when it timed out.</param>
/// <param name="Output">Stdout and stderr lines interleaved in the order they arrived.</param>
public sealed record ProcessResult(int ExitCode, string Output, string Stdout, string Stderr, bool TimedOut)
{
    /// <summary>The last lines of the output, for assertion messages.</summary>
    public string Tail(int lines = 60)
    {
        var all = Output.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }
}

/// <summary>Runs a command to completion with a time limit, capturing its output. For a long-running child, see <see cref="ChildProcess"/>.</summary>
public static class ProcessRun
{
    /// <summary>How long to wait, after the command exited, for the end of its output (a daemon it started may hold the pipes).</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="input"/> (or nothing) on stdin. After
    /// <paramref name="timeout"/> the process tree is killed and the result says TimedOut (exit code -1);
    /// when <paramref name="cancellationToken"/> fires it is killed and the call throws.
    /// </summary>
    /// <param name="timeout"><see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="environment">Added to this process's environment; a null value removes the variable.</param>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? input = null,
        CancellationToken cancellationToken = default)
    {
        var info = StartInfo(fileName, arguments, workingDirectory, environment);
        info.RedirectStandardInput = true;
        var output = new StringBuilder();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var stdoutEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderrEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(e.Data, stdout, stdoutEnd);
        process.ErrorDataReceived += (_, e) => Append(e.Data, stderr, stderrEnd);
        process.Exited += (_, _) => exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var feed = FeedAsync(process.StandardInput, input);

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var timedOut = false;
        try
        {
            await exited.Task.WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is InvalidOperationException or Win32Exception)
            {
            }

            await exited.Task.WaitAsync(DrainTimeout, CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        try
        {
            await Task.WhenAll(stdoutEnd.Task, stderrEnd.Task, feed).WaitAsync(DrainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        lock (output)
        {
            return new ProcessResult(timedOut ? -1 : process.ExitCode, output.ToString(), stdout.ToString(), stderr.ToString(), timedOut);
        }

        void Append(string? line, StringBuilder stream, TaskCompletionSource end)
        {
            if (line is null)
            {
                end.TrySetResult();
                return;
            }

            lock (output)
            {
                output.AppendLine(line);
                stream.AppendLine(line);
            }
        }
    }

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Stdout and stderr redirected, no shell; <paramref name="environment"/> null values remove variables.</summary>
    internal static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, string? workingDirectory, IReadOnlyDictionary<string, string?>? environment)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string?>())
        {
            if (v is null)
            {
                info.Environment.Remove(k);
            }
            else
            {
                info.Environment[k] = v;
            }
        }

        return info;
    }

    // The child may exit (or be killed) without reading its input: a broken pipe is not an error here.
    private static async Task FeedAsync(StreamWriter stdin, string? input)
    {
        try
        {
            if (input is not null)
            {
                await stdin.WriteAsync(input).ConfigureAwait(false);
            }

            stdin.Close();
        }
        catch (IOException)
        {
        }
    }
}
