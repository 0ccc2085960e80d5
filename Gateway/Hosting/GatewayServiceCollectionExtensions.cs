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
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using Scalar.AspNetCore;

namespace CartRecovery.Gateway.Hosting;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>
    /// The gateway: HTTP API, shopper and admin hubs, dashboard, metrics, auth and limits. Binds
    /// the <c>Http</c>, <c>Auth</c>, <c>Cors</c> and <c>Limits</c> sections once, as options
    /// validated at start (every bad key named; the host does not start). With a Redis
    /// <paramref name="backplane"/>, SignalR messages go through Redis, so a nudge decided on any
    /// silo reaches its shopper's connections on every gateway.
    /// </summary>
    public static IServiceCollection AddCartRecoveryGateway(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment, SignalRBackplane? backplane = null)
    {
        var development = environment.IsDevelopment();
        services.AddValidatedOptions<HttpOptions, HttpOptionsValidator>(configuration, HttpOptions.Section);
        services.AddValidatedOptions<AuthOptions, AuthOptionsValidator>(configuration, AuthOptions.Section);
        services.AddValidatedOptions<CorsOptions, CorsOptionsValidator>(configuration, CorsOptions.Section);
        services.AddValidatedOptions<LimitsOptions, LimitsOptionsValidator>(configuration, LimitsOptions.Section);
        services.AddSingleton(sp => new TokenService(sp.GetRequiredService<IOptions<AuthOptions>>().Value, development, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new UserDirectory(sp.GetRequiredService<IOptions<AuthOptions>>().Value, development));
        services.AddSingleton<ClientLimits>();
        ForwardedHeaders(services);
        services.AddCartRecoveryMetrics();
        services.AddSingleton<ShopperConnections>();
        services.AddSingleton<NudgeFeed>();
        services.AddOpenApi();
        services.AddSingleton<StorageCommitTap>();
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
        var signalR = services.AddSignalR(o =>
        {
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
        services.AddOptions<HubOptions>().Configure<IOptions<LimitsOptions>>((o, limits) => o.MaximumReceiveMessageSize = limits.Value.MaxHubMessageBytes);
        services.AddSingleton<IUserIdProvider, ShopperUserIdProvider>();
        if (backplane is { Enabled: true, RedisConnectionString: { } redis })
        {
            // One channel space per cluster: releases sharing a Redis never see each other's nudges.
            signalR.AddStackExchangeRedis(redis, o => o.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal(backplane.ChannelPrefix));
        }

        services.AddSingleton(backplane ?? new SignalRBackplane(false));

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

        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<CorsOptions>>((o, cors) => o.AddDefaultPolicy(p =>
        {
            if (cors.Value.AllowedOrigins.Length > 0)
            {
                p.WithOrigins(cors.Value.AllowedOrigins).AllowAnyHeader().WithMethods("GET", "POST", "PUT").AllowCredentials();
            }
        }));

        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<LimitsOptions>>((o, limits) =>
        {
            var perSecond = limits.Value.RequestsPerIpPerSecond;
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Windows renew on the partitioned limiter's shared timer, not on a timer per address.
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(ctx =>
                ctx.Request.Path.StartsWithSegments("/v1") || ctx.Request.Path.StartsWithSegments("/hubs")
                    ? RateLimitPartition.GetFixedWindowLimiter(ClientAddress.Key(ctx), _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = perSecond,
                        Window = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = false,
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

    /// <summary>Binds a section once as <typeparamref name="T"/>, with its validator run at start.</summary>
    private static void AddValidatedOptions<T, TValidator>(this IServiceCollection services, IConfiguration configuration, string section)
        where T : class
        where TValidator : class, IValidateOptions<T>
    {
        services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>, TValidator>();
    }

    /// <summary>
    /// X-Forwarded-For and X-Forwarded-Proto are believed from <c>Http:TrustedProxies</c> only, so
    /// per-client limits key on the real client behind an ingress and on the socket's peer otherwise.
    /// By default nobody is trusted: ASP.NET Core's own defaults trust loopback, and with empty lists
    /// it would believe anyone, so without trusted proxies the headers are not read at all.
    /// </summary>
    private static void ForwardedHeaders(IServiceCollection services) =>
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<HttpOptions>>((o, http) =>
        {
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005 // the obsolete list keeps its own default (loopback)
            o.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
            foreach (var proxy in http.Value.TrustedProxies)
            {
                if (HttpOptionsValidator.TryParseNetwork(proxy, out var network))
                {
                    o.KnownIPNetworks.Add(network);
                }
            }

            o.ForwardedHeaders = o.KnownIPNetworks.Count == 0
                ? Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.None
                : Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto;

            // A chain of trusted proxies is walked back to the first address none of them is.
            o.ForwardLimit = null;
        });

    /// <summary>A silo without the public API: health and metrics only.</summary>
    public static WebApplication UseCartRecoveryOperations(this WebApplication app)
    {
        app.MapHealthEndpoints();
        return app;
    }

    /// <summary>The gateway's request pipeline and endpoints.</summary>
    public static WebApplication UseCartRecoveryGateway(this WebApplication app)
    {
        GatewayOptionsValidation.ThrowIfInvalid(app.Services);
        app.UseForwardedHeaders();
        app.UseMiddleware<GatewayMiddleware>();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseCors();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseMiddleware<HubConnectionLimits>();
        app.MapHealthEndpoints();
        app.MapAuthEndpoints();
        app.MapEventsEndpoints();
        app.MapQueryEndpoints();
        app.MapModelEndpoints();
        // A connection is closed when its token expires (the ticket's ExpiresUtc, checked by
        // SignalR's once-a-second connection scan); the client reconnects with a renewed token.
        app.MapHub<ShopperHub>(ShopperHub.Path, o => o.CloseOnAuthenticationExpiration = true);
        app.MapHub<AdminHub>(AdminHub.Path, o => o.CloseOnAuthenticationExpiration = true);
        app.MapOrleansDashboard(TokenAuthenticationHandler.OrleansDashboardPath).RequireAuthorization(Policies.Admin);
        app.MapOpenApi();
        if (app.Environment.IsDevelopment())
        {
            app.MapScalarApiReference();
        }

        return app;
    }
}
