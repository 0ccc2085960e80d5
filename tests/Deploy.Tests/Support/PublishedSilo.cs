using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace CartRecovery.Deploy.Tests.Support;

/// <summary>
/// The Silo published the way the Dockerfile publishes it (<c>dotnet publish Silo -c Release -o DIR</c>),
/// once per test run, shared by the tests of <see cref="PublishedSiloCollection"/>.
/// </summary>
public sealed class PublishedSilo : IAsyncLifetime
{
    public const string EntryAssembly = "CartRecovery.Silo.dll";

    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(8);

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "cr-deploy-publish-" + Guid.NewGuid().ToString("N")[..8]);

    public string EntryPath => Path.Combine(Directory, EntryAssembly);

    /// <summary>Null when the publish succeeded, else what went wrong (tests fail with it).</summary>
    public string? PublishError { get; private set; }

    public async Task InitializeAsync()
    {
        var dotnet = DotnetHost();
        var result = await ExternalProcess.RunAsync(
            dotnet,
            ["publish", "Silo", "-c", "Release", "-o", Directory, "--nologo", "-nodeReuse:false"],
            PublishTimeout,
            RepoPaths.Root,
            new Dictionary<string, string?> { ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" });
        if (result.TimedOut || result.ExitCode != 0 || !File.Exists(EntryPath))
        {
            PublishError = $"dotnet publish Silo -c Release -o {Directory} failed (exit {result.ExitCode}{(result.TimedOut ? ", timed out" : "")}):\n{result.Tail()}";
        }
    }

    public Task DisposeAsync()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return Task.CompletedTask;
    }

    public void EnsurePublished()
    {
        if (PublishError is not null)
        {
            throw new Xunit.Sdk.XunitException(PublishError);
        }
    }

    /// <summary>The dotnet host running this test (the same SDK/runtime the image uses).</summary>
    public static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p && File.Exists(p)
            ? p
            : ExternalProcess.FindOnPath("dotnet") ?? "dotnet";

    /// <summary>
    /// The environment the container image sets (Dockerfile ENV) on top of this process's environment,
    /// minus variables that would change what the application reads.
    /// </summary>
    public static Dictionary<string, string?> ImageEnvironment(string tempDir) => new(StringComparer.Ordinal)
    {
        ["ASPNETCORE_HTTP_PORTS"] = "",
        ["ASPNETCORE_URLS"] = null,
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["DOTNET_ENVIRONMENT"] = null,
        ["DOTNET_EnableDiagnostics"] = "0",
        ["TMPDIR"] = tempDir,
        ["Kafka__BootstrapServers"] = "",
    };

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class PublishedSiloCollection : ICollectionFixture<PublishedSilo>
{
    public const string Name = "published silo";
}

/// <summary>A running published Silo process (server mode), killed on dispose if still alive.</summary>
internal sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SiloProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static SiloProcess Start(string entryPath, string workingDirectory, IReadOnlyDictionary<string, string?> environment, int port, params string[] args)
    {
        var psi = new ProcessStartInfo(PublishedSilo.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        psi.ArgumentList.Add(entryPath);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment)
        {
            if (v is null)
            {
                psi.Environment.Remove(k);
            }
            else
            {
                psi.Environment[k] = v;
            }
        }

        var process = new Process { StartInfo = psi };
        var silo = new SiloProcess(process, port);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>Polls GET http://127.0.0.1:port{path} until it answers 200; false if the process exits or time runs out.</summary>
    public async Task<bool> WaitForOkAsync(string path, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                return false;
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{Port}{path}"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(250);
        }

        return false;
    }

    public async Task<(HttpStatusCode Status, string Body, string? ContentType)> GetAsync(string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{Port}{path}"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Sends SIGTERM (what the kubelet sends) and waits for the exit code.</summary>
    public async Task<int?> TerminateAsync(TimeSpan timeout)
    {
        if (!_process.HasExited && kill(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"kill(SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            _process.WaitForExit();
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>SIGKILL: no drain, no flush; what a node failure or the OOM killer does.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited && kill(_process.Id, 9) != 0)
        {
            throw new InvalidOperationException($"kill(SIGKILL) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 400_000)
            {
                _output.AppendLine(line);
            }
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
