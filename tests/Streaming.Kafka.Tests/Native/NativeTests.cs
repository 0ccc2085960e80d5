using CartRecovery.Streaming.Kafka.Mock;
using CartRecovery.Streaming.Kafka.Native;

namespace CartRecovery.Streaming.Kafka.Tests.Native;

public sealed class NativeTests
{
    [Fact]
    public void The_bundled_librdkafka_is_bound_whatever_the_os_has_installed()
    {
        Parallel.For(0, 16, _ => KafkaNative.EnsureLoaded());

        // Debian's librdkafka1 (2.0.2) may be installed; Confluent.Kafka must still run on the redist's 2.16.0.
        Assert.Equal("2.16.0", KafkaNative.Version);
        Assert.Contains("librdkafka", Path.GetFileName(KafkaNative.LibraryPath), StringComparison.Ordinal);
        Assert.StartsWith(AppContext.BaseDirectory, KafkaNative.LibraryPath, StringComparison.Ordinal);
    }

    [Fact]
    public void Mock_cluster_serves_one_address_per_broker_and_rejects_duplicate_topics()
    {
        using var cluster = MockKafkaCluster.Start(brokers: 3);
        cluster.CreateTopic("orders", 3);

        var error = Assert.Throws<InvalidOperationException>(() => cluster.CreateTopic("orders", 3));

        Assert.Equal(3, cluster.BootstrapServers.Split(',').Distinct().Count());
        Assert.Contains("orders", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_disposed_cluster_refuses_new_topics()
    {
        var cluster = MockKafkaCluster.Start();
        cluster.Dispose();
        cluster.Dispose();

        Assert.Throws<ObjectDisposedException>(() => cluster.CreateTopic("late", 1));
    }
}
