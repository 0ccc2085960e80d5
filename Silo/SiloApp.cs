using System.Net;
using CartRecovery.Gateway.Api;
using CartRecovery.Gateway.Hosting;
using CartRecovery.Grains.Hosting;
using CartRecovery.Silo.Health;
using CartRecovery.Silo.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace CartRecovery.Silo;

/// <summary>
/// Composes one process by <c>Silo:Role</c>: an Orleans silo co-hosting the gateway (<c>both</c>,
/// the default), a silo alone (<c>silo</c>: health and metrics over HTTP), or the gateway as an
/// Orleans client of the silos (<c>gateway</c>). Grain state and reminders live in SQLite (embedded
/// default) or PostgreSQL. Tests start it in process with <see cref="StartAsync"/>.
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
        if (builder.Environment.IsDevelopment())
        {
            // People read these: one line per entry, with the correlation id scope.
            builder.Logging.AddSimpleConsole(o =>
            {
                o.IncludeScopes = true;
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }
        else
        {
            // Log pipelines read these.
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(40));

        var silo = builder.Configuration.GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();
        var cluster = builder.Configuration.GetSection(ClusterSettings.Section).Get<ClusterSettings>() ?? new ClusterSettings();
        var problems = silo.Problems(cluster).Concat(cluster.Problems()).ToList();
        if (problems.Count > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(SiloOptions.Section, typeof(SiloOptions), problems);
        }

        builder.Services.AddSingleton(silo);
        builder.Services.AddSingleton(cluster);
        ConfigureListeners(builder);

        if (silo.HostsGrains)
        {
            builder.AddCartRecoverySilo(cluster);
            builder.Services.AddSingleton<IReadinessCheck, SiloReadiness>();
        }
        else
        {
            builder.AddCartRecoveryClient(cluster);
        }

        builder.Services.AddSingleton<IReadinessCheck, StorageReadiness>();
        builder.Services.AddCartRecoveryGateway(builder.Configuration, builder.Environment,
            cluster.UsesRedis ? new Gateway.Hubs.SignalRBackplane(true, cluster.RedisConnectionString, $"cartrecovery/{cluster.ServiceId}/{cluster.ClusterId}") : null);

        configure?.Invoke(builder);
        var app = builder.Build();
        if (silo.HostsGateway)
        {
            app.UseCartRecoveryGateway();
        }
        else
        {
            app.UseCartRecoveryOperations();
        }

        return app;
    }

    /// <summary>
    /// ASP.NET Core's own <c>--urls</c>, <c>ASPNETCORE_URLS</c> or Kestrel endpoints when given;
    /// otherwise <c>Http:Host</c> and <c>Http:Port</c> (0.0.0.0:8080 by default).
    /// </summary>
    private static void ConfigureListeners(WebApplicationBuilder builder)
    {
        var http = builder.Configuration.GetSection(HttpOptions.Section).Get<HttpOptions>() ?? new HttpOptions();
        http.Validate();
        var explicitUrls = builder.Configuration["urls"] is { Length: > 0 }
            || builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (!explicitUrls)
            {
                k.Listen(http.Host is "0.0.0.0" or "*" ? IPAddress.Any : IPAddress.Parse(http.Host), http.Port);
            }

            k.Limits.MaxRequestBodySize = 2 * 1024 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.AddServerHeader = false;
        });
    }

    /// <summary>Builds and starts the app (pass <c>--Http:Port=0</c> for a free port).</summary>
    public static async Task<WebApplication> StartAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var app = Build(args, configure);
        await app.StartAsync();
        return app;
    }

    /// <summary>The public base address of a started app, e.g. http://127.0.0.1:5123.</summary>
    public static string BaseAddress(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        var first = new Uri(addresses[0].Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1").Replace("//+", "//127.0.0.1").Replace("//*", "//127.0.0.1"));
        return $"{first.Scheme}://127.0.0.1:{first.Port}";
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
