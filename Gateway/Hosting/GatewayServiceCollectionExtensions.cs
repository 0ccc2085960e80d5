using System.Threading.RateLimiting;
using CartRecovery.Gateway.Api;
using CartRecovery.Gateway.Auth;
using CartRecovery.Gateway.Cluster;
using CartRecovery.Gateway.Dashboard;
using CartRecovery.Gateway.Hubs;
using CartRecovery.Gateway.Metrics;
using CartRecovery.Gateway.Security;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Nudges;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace CartRecovery.Gateway.Hosting;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>
    /// The gateway: HTTP API, shopper and admin hubs, dashboard, metrics, auth and limits. Binds
    /// the <c>Http</c>, <c>Auth</c>, <c>Cors</c> and <c>Limits</c> sections.
    /// </summary>
    public static IServiceCollection AddCartRecoveryGateway(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var http = configuration.GetSection(HttpOptions.Section).Get<HttpOptions>() ?? new HttpOptions();
        var auth = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        var cors = configuration.GetSection(CorsOptions.Section).Get<CorsOptions>() ?? new CorsOptions();
        var limits = configuration.GetSection(LimitsOptions.Section).Get<LimitsOptions>() ?? new LimitsOptions();
        http.Validate();
        var development = environment.IsDevelopment();
        services.AddSingleton(http);
        services.AddSingleton(auth);
        services.AddSingleton(cors);
        services.AddSingleton(limits);
        services.AddSingleton(sp => new TokenService(auth, development, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(new UserDirectory(auth, development));
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton(sp => MeterSources.CreateExporter(sp));
        services.AddSingleton<ShopperRateLimiter>();
        services.AddSingleton<NudgeFeed>();
        services.AddSingleton<DashboardService>();
        services.AddHostedService(sp => sp.GetRequiredService<DashboardService>());
        services.TryAddSingleton<IGrainClient, LocalGrainClient>();
        services.AddSingleton<SignalROnSitePublisher>();
        services.Replace(ServiceDescriptor.Singleton<IOnSiteNudgePublisher>(sp => sp.GetRequiredService<SignalROnSitePublisher>()));

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, GrainsJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default);
        });
        services.AddSignalR(o =>
        {
            o.MaximumReceiveMessageSize = limits.MaxHubMessageBytes;
            o.MaximumParallelInvocationsPerClient = 1;
            o.EnableDetailedErrors = development;
            o.KeepAliveInterval = TimeSpan.FromSeconds(15);
            o.ClientTimeoutInterval = TimeSpan.FromSeconds(40);
        }).AddJsonProtocol(o =>
        {
            o.PayloadSerializerOptions.TypeInfoResolverChain.Insert(0, GrainsJsonContext.Default);
            o.PayloadSerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default);
        });

        services.AddAuthentication(TokenAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, _ => { });
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, p => p.RequireClaim("aud", TokenService.AdminAudience).RequireRole("admin"))
            .AddPolicy(Policies.Viewer, p => p.RequireClaim("aud", TokenService.AdminAudience).RequireRole("admin", "viewer"))
            .AddPolicy(Policies.Shopper, p => p.RequireClaim("aud", TokenService.ShopperAudience).RequireClaim(TokenService.ShopperClaim));

        services.AddCors(o => o.AddDefaultPolicy(p =>
        {
            if (cors.AllowedOrigins.Length > 0)
            {
                p.WithOrigins(cors.AllowedOrigins).AllowAnyHeader().WithMethods("GET", "POST", "PUT").AllowCredentials();
            }
        }));

        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(ctx =>
                ctx.Request.Path.StartsWithSegments("/v1") || ctx.Request.Path.StartsWithSegments("/hubs")
                    ? RateLimitPartition.GetFixedWindowLimiter(ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = limits.RequestsPerIpPerSecond,
                        Window = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                    })
                    : RateLimitPartition.GetNoLimiter("local"));
        });
        return services;
    }

    /// <summary>The gateway's request pipeline and endpoints.</summary>
    public static WebApplication UseCartRecoveryGateway(this WebApplication app)
    {
        app.UseMiddleware<GatewayMiddleware>();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseCors();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapHealthEndpoints();
        app.MapAuthEndpoints();
        app.MapEventsEndpoints();
        app.MapQueryEndpoints();
        app.MapModelEndpoints();
        app.MapHub<ShopperHub>(ShopperHub.Path);
        app.MapHub<AdminHub>(AdminHub.Path);
        return app;
    }
}
