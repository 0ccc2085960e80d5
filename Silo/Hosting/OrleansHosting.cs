using System.Net;
using System.Net.Sockets;
using CartRecovery.Grains.Hosting;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Persistence.Configuration;
using CartRecovery.Streaming.Kafka.Hosting;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Hosting;

namespace CartRecovery.Silo.Hosting;

/// <summary>How this process joins Orleans: as a silo (roles both and silo) or as a client (gateway).</summary>
internal static class OrleansHosting
{
    /// <summary>
    /// Failure detection. Orleans' defaults (5 s probes, 3 missed, 2 votes) take 15-30 s to declare
    /// a dead silo, and its grains answer nowhere meanwhile. A 1 s probe, 2 missed probes and one
    /// vote declare it in a few seconds (a refused connection at once). The price: a silo paused
    /// longer than about 2-3 s (a long GC, a throttled CPU, a frozen VM) is declared dead and must
    /// restart; its late writes are refused by the storage ETags, so no state goes backwards.
    /// </summary>
    public static void TuneFailureDetection(ClusterMembershipOptions o)
    {
        o.ProbeTimeout = TimeSpan.FromSeconds(1);
        o.NumMissedProbesLimit = 2;
        o.NumVotesForDeathDeclaration = 1;
        o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
        o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
        o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(30);
    }

    public static void AddCartRecoverySilo(this WebApplicationBuilder builder, ClusterSettings cluster)
    {
        builder.Services.AddCartRecoveryGrains(builder.Configuration);
        builder.UseOrleans(silo =>
        {
            var siloPort = cluster.SiloPort > 0 ? cluster.SiloPort : LocalPorts.Free();
            var gatewayPort = cluster.GatewayPort > 0 ? cluster.GatewayPort : LocalPorts.Free();
            if (cluster.UsesRedis)
            {
                silo.UseRedisClustering(cluster.RedisConnectionString!);
                silo.ConfigureEndpoints(Advertised(cluster), siloPort, gatewayPort, listenOnAnyHostAddress: true);
                silo.Configure<ClusterMembershipOptions>(TuneFailureDetection);
            }
            else
            {
                silo.UseLocalhostClustering(siloPort, gatewayPort);

                // One silo owns the whole grain directory, so a directory lookup is already a local
                // dictionary read and Orleans' directory cache only repeats it. The cache also costs:
                // an LRU entry per activation, and its size gauge (read every second by the Orleans
                // Dashboard) walks every entry. Without it the embedded ingest bench used 8-10% less
                // CPU per event. A cluster keeps the cache: there it saves remote lookups.
                silo.Configure<GrainDirectoryOptions>(o => o.CachingStrategy = GrainDirectoryOptions.CachingStrategyType.None);

                // The only silo, so the only writer of its storage: grains never stored activate
                // without a read (the storage keeps a filter of the stored keys).
                silo.Services.PostConfigureAll<SqliteStorageOptions>(o => o.SoleWriter = true);
                silo.Services.PostConfigureAll<PostgresStorageOptions>(o => o.SoleWriter = true);

                // Applying the events it takes as well: shopper state is written behind, the batches
                // being durable in the event journal first.
                if ((builder.Configuration["Events:Provider"] ?? "InProcess") == "InProcess")
                {
                    silo.UseEventJournal(builder.Configuration);
                }
            }

            silo.Configure<ClusterOptions>(o =>
            {
                o.ServiceId = cluster.ServiceId;
                o.ClusterId = cluster.ClusterId;
            });
            if (cluster.Kubernetes)
            {
                // Pods of silos declared dead are deleted, so a zombie (frozen, partitioned) cannot come back.
                silo.UseKubernetesHosting(o => o.Configure(k => k.DeleteDefunctSiloPods = true));
            }

            silo.AddCartRecoveryStorage(builder.Configuration);
            silo.AddCartRecoveryEventStreams(builder.Configuration);
            silo.AddDashboard(o => o.HideTrace = true);
        });
    }

    /// <summary>The gateway role: an Orleans client of the silos, through the same membership table.</summary>
    public static void AddCartRecoveryClient(this WebApplicationBuilder builder, ClusterSettings cluster)
    {
        builder.Services.AddCartRecoveryIngestion(builder.Configuration);
        builder.Services.AddCartRecoveryStateReader(builder.Configuration);
        builder.UseOrleansClient(client =>
        {
            if (cluster.UsesRedis)
            {
                client.UseRedisClustering(cluster.RedisConnectionString!);
            }
            else
            {
                client.UseLocalhostClustering(cluster.GatewayPort > 0 ? cluster.GatewayPort : 30000);
            }

            client.Configure<ClusterOptions>(o =>
            {
                o.ServiceId = cluster.ServiceId;
                o.ClusterId = cluster.ClusterId;
            });
            client.AddDashboard();
            if (builder.Configuration["Events:Provider"] == "Kafka")
            {
                // The gateway only writes: one keyed produce per shopper, answered after the brokers acknowledged.
                client.AddKafkaStreams(StreamEventBus.ProviderName, builder.Configuration.GetSection("Kafka"), EventStreamsSiloBuilderExtensions.StorefrontEventCodec);
                builder.Services.AddSingleton<IEventBus, StreamEventBus>();
            }

            // A request in flight to a silo that dies is only answered when this runs out (a dead
            // gateway connection does not fail it): short enough for a store's retry, long enough
            // for a batch under load. Sending a batch again is always safe.
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));

            // Silos declared dead leave the membership table within seconds; the client should stop
            // sending to them as soon (the default re-reads the gateway list once a minute).
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        });
    }

    private static IPAddress Advertised(ClusterSettings cluster)
    {
        if (cluster.AdvertisedAddress is { Length: > 0 } configured)
        {
            return IPAddress.Parse(configured);
        }

        return Dns.GetHostAddresses(Dns.GetHostName()).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? IPAddress.Loopback;
    }
}
