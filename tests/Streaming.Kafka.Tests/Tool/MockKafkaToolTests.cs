using CartRecovery.Streaming.Kafka.Admin;
using CartRecovery.Streaming.Kafka.Producing;
using CartRecovery.Streaming.Kafka.Tests.Support;
using CartRecovery.TestSupport;

namespace CartRecovery.Streaming.Kafka.Tests.Tool;

public sealed class MockKafkaToolTests
{
    [Fact]
    public async Task Tool_serves_a_cluster_that_clients_in_this_process_can_use_and_exits_on_stdin_eof()
    {
        await using var tool = await MockKafkaProcess.StartAsync("--brokers", "2", "--topic", "cart-events:4", "--topic", "cart-events-dlq:1");
        Assert.Equal(2, tool.BootstrapServers.Split(',').Length);
        Assert.All(tool.BootstrapServers.Split(','), s => Assert.StartsWith("127.0.0.1:", s, StringComparison.Ordinal));

        var options = TestKafka.OptionsFor(tool.BootstrapServers, partitions: 4);
        using (var producer = new KafkaEventProducer(options))
        {
            await producer.ProduceAsync([.. Enumerable.Range(0, 50).Select(i => ($"k{i}", "{}"u8.ToArray()))]);
        }

        var ends = KafkaTopics.GetEndOffsets(options, "cart-events", TimeSpan.FromSeconds(10));
        Assert.Equal(4, ends.Count);
        Assert.Equal(50, ends.Values.Sum());

        tool.Process.CloseStdin();
        Assert.True(await tool.Process.WaitForExitAsync(TimeSpan.FromSeconds(20)), "still running 20 s after stdin closed");
        Assert.Equal(0, tool.Process.ExitCode);
    }

    [Fact]
    public async Task Tool_stops_cleanly_on_sigterm()
    {
        await using var tool = await MockKafkaProcess.StartAsync("--ignore-stdin");

        tool.Process.Signal(ChildProcess.SigTerm);
        Assert.True(await tool.Process.WaitForExitAsync(TimeSpan.FromSeconds(20)), "still running 20 s after SIGTERM");
        Assert.Equal(0, tool.Process.ExitCode);
    }

    [Fact]
    public async Task Bad_arguments_print_usage_and_fail()
    {
        var (exitCode, stdout, stderr) = await MockKafkaProcess.RunToExitAsync("--topic", "no-partitions");

        Assert.Equal(2, exitCode);
        Assert.Empty(stdout);
        Assert.Contains("--topic 'no-partitions' is not name:partitions", stderr, StringComparison.Ordinal);
        Assert.Contains("usage:", stderr, StringComparison.Ordinal);
    }
}
