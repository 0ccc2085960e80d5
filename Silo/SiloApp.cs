using System.Net;
using CartRecovery.Gateway.Api;
using CartRecovery.Gateway.Cluster;
using CartRecovery.Gateway.Hosting;
using CartRecovery.Gateway.Metrics;
using CartRecovery.Grains.Hosting;
using CartRecovery.Silo.Cluster;
using CartRecovery.Silo.Health;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace CartRecovery.Silo;

/// <summary>
/// Composes one process: the silo (actor runtime and grains), the gateway, or both (default).
/// Without Kafka the silo owns every partition and events travel an in-process bus; with
/// Kafka:BootstrapServers set, the consumer group places partitions on silos. Tests start it in
/// process with <see cref="StartAsync"/>.
/// </summary>
public static class SiloApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = FindWebRoot(),
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.UseUtcTimestamp = true;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(40));

        var silo = builder.Configuration.GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();
        silo.Validate();
        var http = builder.Configuration.GetSection(HttpOptions.Section).Get<HttpOptions>() ?? new HttpOptions();
        http.Validate();
        var clustered = ClusterComposition.IsClustered(builder.Configuration);
        if (!clustered && !silo.HostsGrains)
        {
            throw new InvalidOperationException("Silo:Role=gateway needs Kafka:BootstrapServers (a gateway alone forwards to silos of a cluster)");
        }

        builder.Services.AddSingleton(silo);
        var address = http.Host is "0.0.0.0" or "*" ? IPAddress.Any : IPAddress.Parse(http.Host);
        var internalListener = silo.HostsGrains && clustered;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(address, http.Port);
            if (internalListener)
            {
                k.Listen(address, http.InternalPort);
            }

            k.Limits.MaxRequestBodySize = 2 * 1024 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.AddServerHeader = false;
        });

        if (silo.HostsGrains)
        {
            if (clustered)
            {
                builder.Configuration["Runtime:OwnAllPartitions"] = "false";
            }

            builder.Services.AddCartRecoveryGrains(builder.Configuration);
            builder.Services.AddSingleton<LocalGrainClient>();
            builder.Services.AddSingleton<IReadinessCheck, PartitionReadiness>();
        }
        else
        {
            builder.Services.AddGatewayDomain(builder.Configuration);
        }

        builder.Services.AddSingleton<IReadinessCheck, StorageReadiness>();
        if (silo.HostsGateway)
        {
            builder.Services.AddCartRecoveryGateway(builder.Configuration, builder.Environment);
        }
        else
        {
            builder.Services.AddSingleton<GatewayMetrics>();
            builder.Services.AddSingleton(sp => MeterSources.CreateExporter(sp));
        }

        if (clustered)
        {
            builder.Services.AddCluster(builder.Configuration, silo, http);
        }

        configure?.Invoke(builder);
        var app = builder.Build();
        app.Services.GetRequiredService<PrometheusMetrics>(); // listen from the start: measurements before the listener exists are lost
        if (silo.HostsGateway)
        {
            app.UseCartRecoveryGateway();
        }
        else
        {
            app.MapHealthEndpoints();
        }

        if (internalListener)
        {
            app.MapInternalEndpoints(() => BoundPort(app, 1, http.InternalPort));
        }

        return app;
    }

    /// <summary>Builds and starts the app (pass <c>--Http:Port=0</c> for a free port).</summary>
    public static async Task<WebApplication> StartAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var app = Build(args, configure);
        await app.StartAsync();
        return app;
    }

    /// <summary>The public base address of a started app, e.g. http://127.0.0.1:5123.</summary>
    public static string BaseAddress(WebApplication app) => $"http://127.0.0.1:{BoundPort(app, 0, -1)}";

    /// <summary>Port of the n-th listener (0 public, 1 internal) once started.</summary>
    internal static int BoundPort(WebApplication app, int index, int configured)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        return addresses.Count > index ? new Uri(addresses[index].Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1")).Port : configured;
    }

    /// <summary>wwwroot next to the binary (build and publish copy it there), else the gateway's sources.</summary>
    private static string? FindWebRoot()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (Directory.Exists(beside))
        {
            return beside;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var source = Path.Combine(dir.FullName, "Gateway", "wwwroot");
            if (Directory.Exists(source))
            {
                return source;
            }
        }

        return null;
    }
}
