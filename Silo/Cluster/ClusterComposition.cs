using System.Net;
using CartRecovery.Gateway.Api;
using CartRecovery.Gateway.Cluster;
using CartRecovery.Gateway.Dashboard;
using CartRecovery.Gateway.Hosting;
using CartRecovery.Grains.Diagnostics;
using CartRecovery.Grains.Hosting;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Nudges;
using CartRecovery.Grains.Scoring;
using CartRecovery.Kafka.Configuration;
using CartRecovery.Kafka.Nudges;
using CartRecovery.Kafka.Producing;
using CartRecovery.Runtime;
using CartRecovery.Runtime.Configuration;
using CartRecovery.Runtime.Hosting;
using CartRecovery.Runtime.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CartRecovery.Silo.Cluster;

/// <summary>Wiring for the cluster roles: Kafka placement, forwarding, nudge fan-out, membership.</summary>
internal static class ClusterComposition
{
    public static bool IsClustered(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[$"{KafkaOptions.SectionName}:BootstrapServers"]);

    /// <summary>What a gateway without a silo needs of the domain: storage for lookups and reports, validation, metrics.</summary>
    public static IServiceCollection AddGatewayDomain(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddGrainStorage(configuration);
        var runtime = configuration.GetSection(RuntimeOptions.Section).Get<RuntimeOptions>() ?? new RuntimeOptions();
        services.TryAddSingleton(new PartitionMap(runtime.Partitions));
        services.TryAddSingleton<DomainMetrics>();
        services.TryAddSingleton<EventValidator>();
        services.TryAddSingleton<EventIngestor>();
        services.TryAddSingleton(new ScorerProvider(new BaselineScorer()));
        services.TryAddSingleton<IOnSiteNudgePublisher, NullOnSitePublisher>();

        // The model API (/v1/models) reads the registry on gateways too.
        services.AddModelRegistry(configuration);
        return services;
    }

    public static IServiceCollection AddCluster(this IServiceCollection services, IConfiguration configuration, SiloOptions silo, HttpOptions http)
    {
        var kafka = configuration.GetSection(KafkaOptions.SectionName).Get<KafkaOptions>() ?? new KafkaOptions();
        var runtime = configuration.GetSection(RuntimeOptions.Section).Get<RuntimeOptions>() ?? new RuntimeOptions();
        kafka.Validate();
        if (kafka.Partitions != runtime.Partitions)
        {
            throw new InvalidOperationException($"Kafka:Partitions ({kafka.Partitions}) must equal Runtime:Partitions ({runtime.Partitions}): Kafka partitions are the grain partitions");
        }

        services.AddSingleton(kafka);
        services.AddHttpClient();
        services.TryAddSingleton(new PartitionMap(runtime.Partitions));
        services.AddSingleton(sp =>
        {
            var map = sp.GetRequiredService<PartitionMap>();
            return new KafkaEventProducer(kafka, map.OfKey, sp.GetRequiredService<ILogger<KafkaEventProducer>>());
        });
        services.Replace(ServiceDescriptor.Singleton<IEventBus, KafkaEventBus>());
        services.AddSingleton<IReadinessCheck, KafkaReadiness>();

        if (silo.HostsGrains)
        {
            services.AddSingleton<SiloPartitionOwner>();
            services.AddHostedService(sp => sp.GetRequiredService<SiloPartitionOwner>());
            services.AddSingleton<IDashboardExtras>(sp => sp.GetRequiredService<SiloPartitionOwner>());
            services.AddSingleton<Gateway.Metrics.IMeterSource>(sp => sp.GetRequiredService<SiloPartitionOwner>());
            services.AddSingleton(sp => new NudgePublisher(kafka, sp.GetRequiredService<ILogger<NudgePublisher>>()));
            services.Replace(ServiceDescriptor.Singleton<IOnSiteNudgePublisher, KafkaNudgePublisher>());
            services.AddHostedService(sp => new SiloMembership(
                sp.GetRequiredService<GrainRuntime>(),
                sp.GetRequiredService<IGrainStorage>(),
                () => InternalUrl(sp, http),
                sp.GetRequiredService<ILogger<SiloMembership>>()));
        }

        if (silo.HostsGateway)
        {
            services.Replace(ServiceDescriptor.Singleton<IGrainClient, RemoteGrainClient>());
            services.AddHostedService<NudgeRelay>();
        }

        return services;
    }

    private static string InternalUrl(IServiceProvider services, HttpOptions http)
    {
        if (!string.IsNullOrEmpty(http.InternalUrl))
        {
            return http.InternalUrl;
        }

        var host = http.Host is "0.0.0.0" or "*" ? Dns.GetHostName() : http.Host;
        var app = services.GetRequiredService<IServer>();
        var addresses = app.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        var port = addresses.Count > 1 ? new Uri(addresses[1].Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1")).Port : http.InternalPort;
        return $"http://{host}:{port}";
    }
}
