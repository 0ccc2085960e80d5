using CartRecovery.Streaming.Kafka.Native;

namespace CartRecovery.Streaming.Kafka.Mock;

/// <summary>
/// An in-process Kafka cluster served by librdkafka's built-in mock brokers on 127.0.0.1. It speaks the real
/// protocol (consumer groups, idempotent producer, offset commits), so clients connect to
/// <see cref="BootstrapServers"/> exactly as to a real cluster. It is owned by a private client handle so it
/// outlives every client that uses it.
/// </summary>
public sealed unsafe class MockKafkaCluster : IDisposable
{
    private const int ErrorBufferSize = 512;
    private readonly Lock _gate = new();
    private nint _handle;
    private nint _cluster;

    private MockKafkaCluster(nint handle, nint cluster, string bootstrapServers)
    {
        _handle = handle;
        _cluster = cluster;
        BootstrapServers = bootstrapServers;
    }

    public string BootstrapServers { get; }

    /// <summary>Starts <paramref name="brokers"/> mock brokers (ids 1..N) on ephemeral loopback ports.</summary>
    public static MockKafkaCluster Start(int brokers = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        KafkaNative.EnsureLoaded();

        var errstr = stackalloc byte[ErrorBufferSize];
        var conf = LibRdKafka.ConfNew();
        // Only errors: the host handle never talks to a broker itself, so anything chattier is noise.
        if (LibRdKafka.ConfSet(conf, "log_level", "3", errstr, ErrorBufferSize) != 0)
        {
            LibRdKafka.ConfDestroy(conf);
            throw new InvalidOperationException("librdkafka rejected log_level: " + LibRdKafka.ReadError(errstr));
        }

        var handle = LibRdKafka.New(LibRdKafka.ProducerType, conf, errstr, ErrorBufferSize);
        if (handle == 0)
        {
            LibRdKafka.ConfDestroy(conf);
            throw new InvalidOperationException("could not create the mock cluster's host handle: " + LibRdKafka.ReadError(errstr));
        }

        var cluster = LibRdKafka.MockClusterNew(handle, brokers);
        if (cluster == 0)
        {
            LibRdKafka.Destroy(handle);
            throw new InvalidOperationException("librdkafka could not start a mock cluster");
        }

        var bootstraps = System.Runtime.InteropServices.Marshal.PtrToStringUTF8(LibRdKafka.MockClusterBootstraps(cluster)) ?? "";
        return new MockKafkaCluster(handle, cluster, bootstraps);
    }

    /// <summary>Creates a topic; fails if it already exists so a typo'd duplicate is not silently ignored.</summary>
    public void CreateTopic(string name, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_cluster == 0, this);
            var err = LibRdKafka.MockTopicCreate(_cluster, name, partitions, replicationFactor);
            if (err != 0)
            {
                throw new InvalidOperationException($"mock topic '{name}' ({partitions} partitions) was not created: {LibRdKafka.Describe(err)}");
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster == 0)
            {
                return;
            }

            // The cluster keeps a reference into the handle, so it must go first.
            LibRdKafka.MockClusterDestroy(_cluster);
            LibRdKafka.Destroy(_handle);
            _cluster = 0;
            _handle = 0;
        }
    }
}
