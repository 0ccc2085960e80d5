using CartRecovery.TestSupport;

namespace CartRecovery.Streaming.Kafka.Tests.Tool;

/// <summary>Runs the CartRecovery.MockKafka tool as a child process, the way multi-process cluster tests do.</summary>
public sealed class MockKafkaProcess : IAsyncDisposable
{
    private const string Prefix = "BOOTSTRAP=";

    private MockKafkaProcess(ChildProcess process, string bootstrapServers)
    {
        Process = process;
        BootstrapServers = bootstrapServers;
    }

    public ChildProcess Process { get; }

    public string BootstrapServers { get; }

    public static async Task<MockKafkaProcess> StartAsync(params string[] arguments)
    {
        var process = ChildProcess.Start("mock-kafka", DotnetHost(), [ToolPath(), .. arguments], keepStdinOpen: true);
        string? first = null;
        try
        {
            first = await process.FirstLine.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (InvalidOperationException)
        {
        }

        if (first is null || !first.StartsWith(Prefix, StringComparison.Ordinal))
        {
            await process.DisposeAsync();
            throw new InvalidOperationException($"expected {Prefix}... as the first line, got '{first}'");
        }

        return new MockKafkaProcess(process, first[Prefix.Length..]);
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToExitAsync(params string[] arguments)
    {
        var result = await ProcessRun.RunAsync(DotnetHost(), [ToolPath(), .. arguments], TimeSpan.FromSeconds(30));
        return result.TimedOut ? throw new TimeoutException("the mock Kafka tool did not exit within 30 s") : (result.ExitCode, result.Stdout, result.Stderr);
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();

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
