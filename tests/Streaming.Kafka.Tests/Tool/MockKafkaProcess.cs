using System.Diagnostics;
using CartRecovery.TestSupport;

namespace CartRecovery.Streaming.Kafka.Tests.Tool;

/// <summary>Runs the CartRecovery.MockKafka tool as a child process, the way multi-process cluster tests do.</summary>
public sealed class MockKafkaProcess : IDisposable
{
    private const string Prefix = "BOOTSTRAP=";

    private MockKafkaProcess(Process process, string bootstrapServers)
    {
        Process = process;
        BootstrapServers = bootstrapServers;
    }

    public Process Process { get; }

    public string BootstrapServers { get; }

    public static async Task<MockKafkaProcess> StartAsync(params string[] arguments)
    {
        var process = Launch(arguments);
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var first = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (first is null || !first.StartsWith(Prefix, StringComparison.Ordinal))
        {
            process.Kill();
            throw new InvalidOperationException($"expected {Prefix}... as the first line, got '{first}'");
        }

        return new MockKafkaProcess(process, first[Prefix.Length..]);
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToExitAsync(params string[] arguments)
    {
        using var process = Launch(arguments);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill();
            Process.WaitForExit();
        }

        Process.Dispose();
    }

    private static Process Launch(IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(ToolPath());
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("the mock Kafka tool did not start");
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

    // The tool is built alongside this project (see the csproj) into its own bin folder, same configuration as ours.
    private static string ToolPath()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        var path = Path.Combine(SharedData.RepoRoot, "tools", "MockKafka", "bin", configuration, framework, "CartRecovery.MockKafka.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build tools/MockKafka first", path);
    }
}
