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
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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
        services.AddSingleton<ShopperConnections>();
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
        services.AddSingleton<HubCallLog>();
        services.AddSignalR(o =>
        {
            o.MaximumReceiveMessageSize = limits.MaxHubMessageBytes;
            o.MaximumParallelInvocationsPerClient = 1;
            o.EnableDetailedErrors = development;
            o.KeepAliveInterval = TimeSpan.FromSeconds(15);
            o.ClientTimeoutInterval = TimeSpan.FromSeconds(40);
            o.AddFilter<HubCallLog>();
        }).AddJsonProtocol(o =>
        {
            o.PayloadSerializerOptions.TypeInfoResolverChain.Insert(0, GrainsJsonContext.Default);
            o.PayloadSerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default);
        });

        // Calls whose arguments do not bind reach the shopper hub as refusals (UnboundCallProtocol);
        // HubCallLog logs hub call failures in place of SignalR's dispatcher.
        services.RemoveAll<IHubProtocol>();
        services.AddSingleton<IHubProtocol>(sp => new UnboundCallProtocol(new JsonHubProtocol(sp.GetRequiredService<IOptions<JsonHubProtocolOptions>>())));
        services.Configure<LoggerFilterOptions>(o => o.AddFilter(HubCallLog.DispatcherCategory, LogLevel.None));

        services.AddAuthentication(TokenAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, _ => { });
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, p => p.RequireClaim("aud", TokenService.AdminAudience).RequireRole("admin"))
            .AddPolicy(Policies.Viewer, p => p.RequireClaim("aud", TokenService.AdminAudience).RequireRole("admin", "viewer"))
            .AddPolicy(Policies.Shopper, p => p.RequireClaim("aud", TokenService.ShopperAudience).RequireClaim(TokenService.ShopperClaim));
        SharedAuthorizationServices(services);

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

    /// <summary>
    /// The authorization services are stateless but registered per use (transient). The authorization
    /// middleware holds the ones it resolved until the request ends, and a hub connection's request
    /// lasts as long as the connection: one shared set instead of one set per connection.
    /// </summary>
    private static void SharedAuthorizationServices(IServiceCollection services)
    {
        Type[] stateless = [typeof(IPolicyEvaluator), typeof(IAuthorizationService), typeof(IAuthorizationPolicyProvider), typeof(IAuthorizationHandlerProvider),
            typeof(IAuthorizationEvaluator), typeof(IAuthorizationHandlerContextFactory)];
        foreach (var type in stateless)
        {
            if (services.LastOrDefault(d => d.ServiceType == type) is { Lifetime: ServiceLifetime.Transient, ImplementationType: { } implementation })
            {
                services.Replace(ServiceDescriptor.Singleton(type, implementation));
            }
        }
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
