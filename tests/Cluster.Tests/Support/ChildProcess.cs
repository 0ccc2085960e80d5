using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace CartRecovery.Cluster.Tests.Support;

/// <summary>
/// A child process of the test (silo, gateway, broker) with its output captured line by line, log
/// event ids counted, and POSIX signals at hand (SIGKILL, SIGTERM, SIGSTOP, SIGCONT). A small
/// reaper shell holds a pipe from this process and kills the child if the test host dies, so a
/// crashed or aborted test run never leaves silos behind.
/// </summary>
internal sealed partial class ChildProcess : IAsyncDisposable
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    private const int MaxLines = 20_000;

    private readonly Process _process;
    private readonly Reaper _reaper;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentDictionary<int, int> _eventIds = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Done)> _waiters = new();
    private readonly TaskCompletionSource<string> _firstLine = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(string name, Process process, Reaper reaper)
    {
        Name = name;
        _process = process;
        _reaper = reaper;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Completes with the first line the child writes to stdout.</summary>
    public Task<string> FirstLine => _firstLine.Task;

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, bool keepStdinOpen = false, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = keepStdinOpen,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        ChildProcess? child = null;
        process.OutputDataReceived += (_, e) => child?.OnLine(e.Data, stdout: true);
        process.ErrorDataReceived += (_, e) => child?.OnLine(e.Data, stdout: false);
        process.Start();
        child = new ChildProcess(name, process, new Reaper(process.Id));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void OnLine(string? line, bool stdout)
    {
        if (line is null)
        {
            _firstLine.TrySetException(new InvalidOperationException($"{Name} closed its output"));
            return;
        }

        if (stdout)
        {
            _firstLine.TrySetResult(line);
        }

        _lines.Enqueue(line);
        while (_lines.Count > MaxLines && _lines.TryDequeue(out _))
        {
        }

        if (EventIdPattern().Match(line) is { Success: true } m && int.TryParse(m.Groups[1].Value, out var id))
        {
            _eventIds.AddOrUpdate(id, 1, (_, n) => n + 1);
        }

        lock (_waiters)
        {
            foreach (var (match, done) in _waiters.ToArray())
            {
                if (match(line))
                {
                    done.TrySetResult(line);
                    _waiters.RemoveAll(w => w.Done == done);
                }
            }
        }
    }

    /// <summary>How many log lines with this event id the child wrote (JSON console: "EventId":N).</summary>
    public int LoggedEventId(int eventId) => _eventIds.TryGetValue(eventId, out var n) ? n : 0;

    public IEnumerable<string> Lines => _lines.ToArray();

    public IEnumerable<string> LinesWithEventId(int eventId) => Lines.Where(l => l.Contains($"\"EventId\":{eventId},", StringComparison.Ordinal));

    /// <summary>Completes with the first line (from now on) that matches.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            _waiters.Add((match, done));
        }

        return done.Task;
    }

    public string Tail(int count = 40)
    {
        // librdkafka's note about auto.create.topics on the mock broker is noise here.
        var all = _lines.Where(l => !l.Contains("[AUTOCREATE]", StringComparison.Ordinal)).ToArray();
        return $"--- last output of {Name} (pid {Pid}) ---\n" + string.Join('\n', all.Skip(Math.Max(0, all.Length - count)));
    }

    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>kill -9: no shutdown code runs.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            Signal(SigKill);
        }
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // A stopped process ignores SIGKILL only until it is continued; SIGKILL works on stopped processes too.
                kill(_process.Id, SigKill);
                await WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
        }

        _reaper.Dispose();
        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [GeneratedRegex("\"EventId\":(\\d+)")]
    private static partial Regex EventIdPattern();
}
