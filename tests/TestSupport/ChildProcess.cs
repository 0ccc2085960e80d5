using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace CartRecovery.TestSupport;

/// <summary>
/// A long-running child process of a test or benchmark (a silo, a broker, Redis, the bench binary
/// again): stdout and stderr captured line by line (<see cref="Lines"/>, <see cref="Tail"/>), a line
/// protocol over stdin/stdout (<see cref="SendLineAsync"/>, <see cref="WaitForLineAsync"/>), and
/// POSIX signals at hand. By default a <see cref="Reaper"/> kills it if the host process dies, so a
/// crashed or aborted run never leaves children behind. Disposing kills the whole process tree and
/// deletes the diagnostics files a killed .NET child leaves in the temp directory.
/// For a command run to completion, see <see cref="ProcessRun"/>.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    /// <summary>How many lines <see cref="Lines"/> keeps, and how many unread stdout lines <see cref="WaitForLineAsync"/> keeps.</summary>
    public const int MaxLines = 20_000;

    private readonly Process _process;
    private readonly Reaper? _reaper;
    private readonly bool _stdinRedirected;
    private readonly Action<string>? _onStderr;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Channel<string> _unread = Channel.CreateBounded<string>(new BoundedChannelOptions(MaxLines) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly TaskCompletionSource<string> _firstLine = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _tempDirectory;
    private readonly string? _runtimeIpcKey;
    private bool _disposed;

    private ChildProcess(string name, Process process, bool stdinRedirected, Action<string>? onStderr, bool killWithHost, string tempDirectory)
    {
        Name = name;
        _process = process;
        _stdinRedirected = stdinRedirected;
        _onStderr = onStderr;
        Pid = process.Id;
        _reaper = killWithHost ? new Reaper(process.Id) : null;
        _tempDirectory = tempDirectory;
        _runtimeIpcKey = TempFiles.RuntimeIpcKey(process.Id);
    }

    public string Name { get; }

    public int Pid { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Completes with the first line the child writes to stdout (fails if stdout closes first).</summary>
    public Task<string> FirstLine => _firstLine.Task;

    /// <summary>The last <see cref="MaxLines"/> lines of stdout and stderr, in the order they arrived.</summary>
    public IReadOnlyList<string> Lines => _lines.ToArray();

    /// <summary>Starts <paramref name="fileName"/> with its output captured.</summary>
    /// <param name="environment">Added to this process's environment; a null value removes the variable.</param>
    /// <param name="keepStdinOpen">Redirect stdin (for <see cref="SendLineAsync"/> and <see cref="CloseStdin"/>); otherwise the child inherits ours.</param>
    /// <param name="onStderr">Also called with each stderr line (e.g. to pass it through).</param>
    /// <param name="killWithHost">Start a <see cref="Reaper"/> that SIGKILLs the child if this process dies.</param>
    public static ChildProcess Start(
        string name,
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        bool keepStdinOpen = false,
        Action<string>? onStderr = null,
        bool killWithHost = true)
    {
        var info = ProcessRun.StartInfo(fileName, arguments, workingDirectory, environment);
        info.RedirectStandardInput = keepStdinOpen;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        ChildProcess? child = null;

        // Events start with BeginOutputReadLine, after child is set.
        process.OutputDataReceived += (_, e) => child!.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) => child!.OnStderr(e.Data);
        process.Start();
        child = new ChildProcess(name, process, keepStdinOpen, onStderr, killWithHost, TempDirectoryOf(environment));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            _firstLine.TrySetException(new InvalidOperationException($"{Name} closed its output"));
            _unread.Writer.TryComplete();
            return;
        }

        _firstLine.TrySetResult(line);
        Keep(line);
        _unread.Writer.TryWrite(line);
    }

    private void OnStderr(string? line)
    {
        if (line is not null)
        {
            Keep(line);
            _onStderr?.Invoke(line);
        }
    }

    private void Keep(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > MaxLines && _lines.TryDequeue(out _))
        {
        }
    }

    /// <summary>
    /// The next matching stdout line not consumed by an earlier call; the lines before it are consumed
    /// too. As with reading stdout, a line printed before the call is found: send a request, then wait
    /// for its answer. Throws <see cref="TimeoutException"/> after <paramref name="timeout"/> and
    /// <see cref="InvalidOperationException"/> if stdout ends first.
    /// </summary>
    /// <param name="expected">What the line is, for the exception messages.</param>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken cancellationToken = default, string expected = "the expected line")
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            while (await _unread.Reader.WaitToReadAsync(cts.Token).ConfigureAwait(false))
            {
                while (_unread.Reader.TryRead(out var line))
                {
                    if (match(line))
                    {
                        return line;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{Name} did not print {expected} within {timeout.TotalSeconds:0} s\n{Tail(10)}");
        }

        throw new InvalidOperationException($"{Name} closed its output (exit code {(HasExited ? ExitCode : -1)}) before printing {expected}\n{Tail(10)}");
    }

    /// <summary>Writes one line to the child's stdin (needs keepStdinOpen).</summary>
    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>EOF on the child's stdin (a graceful stop for children that wait for it); no-op without keepStdinOpen.</summary>
    public void CloseStdin()
    {
        if (!_stdinRedirected)
        {
            return;
        }

        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The last lines of the output, for assertion messages.</summary>
    public string Tail(int count = 40)
    {
        // librdkafka's note about auto.create.topics on the mock broker is noise in every Kafka-using child.
        var all = _lines.Where(l => !l.Contains("[AUTOCREATE]", StringComparison.Ordinal)).ToArray();
        return $"--- last output of {Name} (pid {Pid}) ---\n" + string.Join('\n', all.Skip(Math.Max(0, all.Length - count)));
    }

    /// <summary>Sends a POSIX signal to the child (not its descendants); throws if kill(2) fails.</summary>
    public void Signal(int signal)
    {
        if (kill(Pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({Pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>kill -9 of the child itself: no shutdown code runs.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            Signal(SigKill);
        }
    }

    /// <summary>True when the child exited (and its output was read to the end) within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Closes stdin, gives the child <paramref name="grace"/> to exit, then kills its process tree.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        CloseStdin();
        if (grace > TimeSpan.Zero && await WaitForExitAsync(grace).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            // SIGKILL to the tree; it works on stopped (SIGSTOP) processes too.
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
        }

        await WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }

    /// <summary>Kills the process tree if it is still running.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        _reaper?.Dispose();
        if (_process.HasExited && _runtimeIpcKey is { } key)
        {
            TempFiles.DeleteRuntimeIpcFiles(_tempDirectory, key);
        }

        _process.Dispose();
    }

    // The child's temp directory, as its runtime picks it: TMPDIR (ours unless the environment changes it), else /tmp.
    private static string TempDirectoryOf(IReadOnlyDictionary<string, string?>? environment) =>
        environment is not null && environment.TryGetValue("TMPDIR", out var tmp)
            ? tmp is { Length: > 0 } ? tmp : "/tmp/"
            : Path.GetTempPath();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
