using CartRecovery.Streaming.Kafka.Configuration;
using CartRecovery.Streaming.Kafka.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Streams;
using Orleans.TestingHost;

namespace CartRecovery.Streaming.Kafka.Tests.Support;

/// <summary>An in-process Orleans cluster whose silos read the test topic through the Kafka stream provider.</summary>
public sealed class StreamCluster : IAsyncDisposable
{
    private StreamCluster(InProcessTestCluster cluster) => Cluster = cluster;

    public InProcessTestCluster Cluster { get; }

    public static async Task<StreamCluster> StartAsync(KafkaStreamOptions options, int silos = 1)
    {
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.ConfigureSiloHost((_, host) => host.Logging.SetMinimumLevel(LogLevel.Warning));
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddKafkaStreams(TestEvents.Provider, o => o.Configure(c => Copy(options, c)), _ => TestEvents.Codec());

            // A killed silo is declared dead within a few seconds, as in the product's tuned membership.
            silo.Configure<ClusterMembershipOptions>(m =>
            {
                m.ProbeTimeout = TimeSpan.FromSeconds(1);
                m.NumMissedProbesLimit = 2;
                m.NumVotesForDeathDeclaration = 1;
            });
        });
        builder.ConfigureClient(client => client.AddKafkaStreams(TestEvents.Provider, o => o.Configure(c => Copy(options, c)), _ => TestEvents.Codec()));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new StreamCluster(cluster);
    }

    /// <summary>The stream of <paramref name="key"/> as a client sees it (for producing through Orleans).</summary>
    public IAsyncStream<TestEvent> Stream(string key) =>
        Cluster.Client.GetStreamProvider(TestEvents.Provider).GetStream<TestEvent>(StreamId.Create(TestEvents.Namespace, key));

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();

    private static void Copy(KafkaStreamOptions from, KafkaStreamOptions to)
    {
        foreach (var property in typeof(KafkaStreamOptions).GetProperties().Where(p => p.CanWrite))
        {
            property.SetValue(to, property.GetValue(from));
        }
    }
}
