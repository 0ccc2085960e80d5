namespace CartRecovery.Cluster.Tests.Support;

/// <summary>tools/MockKafka as a child process with the topics the product uses.</summary>
internal sealed class MockKafkaBroker : IAsyncDisposable
{
    private const string Prefix = "BOOTSTRAP=";

    private MockKafkaBroker(ChildProcess process, string bootstrapServers)
    {
        Process = process;
        BootstrapServers = bootstrapServers;
    }

    public ChildProcess Process { get; }

    public string BootstrapServers { get; }

    public static async Task<MockKafkaBroker> StartAsync(int partitions)
    {
        await ClusterPaths.EnsureMockKafkaBuiltAsync();

        // stdin stays open: the tool exits on EOF, so it dies with the test host.
        var process = ChildProcess.Start("mock-kafka", ClusterPaths.Dotnet,
            [ClusterPaths.MockKafkaDll, "--brokers", "1", "--topic", $"cart-events:{partitions}", "--topic", $"nudges:{partitions}", "--topic", $"cart-events-dlq:{partitions}"],
            keepStdinOpen: true);
        try
        {
            var first = await process.FirstLine.WaitAsync(TimeSpan.FromSeconds(60));
            if (!first.StartsWith(Prefix, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"expected {Prefix}... as the first line, got '{first}'");
            }

            return new MockKafkaBroker(process, first[Prefix.Length..].Trim());
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
