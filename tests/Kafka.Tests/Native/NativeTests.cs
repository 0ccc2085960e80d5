using CartRecovery.Kafka.Mock;
using CartRecovery.Kafka.Native;

namespace CartRecovery.Kafka.Tests.Native;

public sealed class NativeTests
{
    [Fact]
    public void Loading_is_idempotent_across_threads_and_binds_the_os_librdkafka()
    {
        Parallel.For(0, 16, _ => KafkaNative.EnsureLoaded());

        // Confluent.Kafka 1.9 only works against 1.9+/2.0.x; a different library would show here first.
        Assert.Matches(@"^(1\.9|2\.0)\.\d+$", KafkaNative.Version);
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
