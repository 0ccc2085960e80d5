using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Carts;
using CartRecovery.Grains.Diagnostics;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Models;
using CartRecovery.Model.Registry;
using CartRecovery.Runtime.Configuration;
using CartRecovery.Grains.Nudges;
using CartRecovery.Grains.Policy;
using CartRecovery.Grains.Scoring;
using CartRecovery.Grains.Sessions;
using CartRecovery.Grains.Shoppers;
using CartRecovery.Runtime.Hosting;
using CartRecovery.Runtime.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace CartRecovery.Grains.Hosting;

public static class GrainsServiceCollectionExtensions
{
    /// <summary>
    /// The product's grains on the actor runtime, with the embedded in-process event bus (a Kafka
    /// host replaces <see cref="IEventBus"/>). Binds the <c>Policy</c> (initial campaign policy)
    /// and <c>Webhook</c> sections.
    /// </summary>
    public static IServiceCollection AddCartRecoveryGrains(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddGrainRuntime(configuration);
        services.AddGrain<IShopperGrain, ShopperGrain>("shopper");
        services.AddGrain<ISessionGrain, SessionGrain>("session");
        services.AddGrain<ICartGrain, CartGrain>("cart");
        services.AddGrain<IPolicyGrain, PolicyGrain>("policy");
        services.AddGrainStateJson(GrainsJsonContext.Default);

        var policy = configuration.GetSection("Policy").Get<CampaignPolicy>() ?? new CampaignPolicy();
        if (PolicyValidator.Validate(policy) is { } error)
        {
            throw new InvalidOperationException($"Policy: {error}");
        }

        var webhook = configuration.GetSection(WebhookOptions.Section).Get<WebhookOptions>() ?? new WebhookOptions();
        webhook.Validate();
        services.TryAddSingleton(webhook);
        services.TryAddSingleton(sp => new PolicyCache(policy, sp.GetRequiredService<IGrainStorage>()));
        services.TryAddSingleton(new ScorerProvider(new BaselineScorer()));
        services.TryAddSingleton<DomainMetrics>();
        services.TryAddSingleton<EventPipeline>();
        services.TryAddSingleton<EventValidator>();
        services.TryAddSingleton<EventIngestor>();
        services.TryAddSingleton<InProcessEventBus>();
        services.TryAddSingleton<IEventBus>(sp => sp.GetRequiredService<InProcessEventBus>());
        services.TryAddSingleton<IOnSiteNudgePublisher, NullOnSitePublisher>();
        services.TryAddSingleton<NudgeDispatcher>();
        services.AddHttpClient();
        services.TryAddSingleton<WebhookSender>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookSender>());
        services.AddHostedService<PolicyRefresher>();
        services.AddModelRegistry(configuration);
        services.TryAddSingleton<ModelService>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelService>());
        return services;
    }

    /// <summary>The model registry in the same database as grain state (table model_versions).</summary>
    public static IServiceCollection AddModelRegistry(this IServiceCollection services, IConfiguration configuration)
    {
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        services.TryAddSingleton<IModelRegistry>(_ => storage.IsPostgres
            ? new PostgresModelRegistry(storage.ConnectionString!)
            : new SqliteModelRegistry(storage.SqliteConnectionString));
        return services;
    }
}

/// <summary>Keeps this silo's policy in step with the stored one (edits made through any silo).</summary>
internal sealed class PolicyRefresher(PolicyCache cache) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        do
        {
            try
            {
                await cache.RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Storage unreachable: keep the policy held; readiness reports storage separately.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
