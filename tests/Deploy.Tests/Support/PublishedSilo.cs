using System.Net;
using System.Net.Sockets;
using CartRecovery.TestSupport;

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
        var result = await ProcessRun.RunAsync(
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
        TempDirectory.Delete(Directory);
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
            : ProcessRun.FindOnPath("dotnet") ?? "dotnet";

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
    private readonly ChildProcess _process;

    private SiloProcess(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public int Pid => _process.Pid;

    public bool HasExited => _process.HasExited;

    public string Output => string.Join('\n', _process.Lines) + "\n";

    public static SiloProcess Start(string entryPath, string workingDirectory, IReadOnlyDictionary<string, string?> environment, int port, params string[] args) =>
        new(ChildProcess.Start("silo", PublishedSilo.DotnetHost(), [entryPath, .. args], environment, workingDirectory), port);

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
        if (!_process.HasExited)
        {
            _process.Signal(ChildProcess.SigTerm);
        }

        return await _process.WaitForExitAsync(timeout) ? _process.ExitCode : null;
    }

    /// <summary>SIGKILL: no drain, no flush; what a node failure or the OOM killer does.</summary>
    public async Task KillAsync()
    {
        _process.KillHard();
        await _process.WaitForExitAsync(Timeout.InfiniteTimeSpan);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
