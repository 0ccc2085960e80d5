using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Carts;
using CartRecovery.Grains.Common;
using CartRecovery.Grains.Diagnostics;
using CartRecovery.Grains.Ingestion;
using CartRecovery.Grains.Models;
using CartRecovery.Grains.Nudges;
using CartRecovery.Grains.Policy;
using CartRecovery.Grains.Reports;
using CartRecovery.Grains.Scoring;
using CartRecovery.Model.Registry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace CartRecovery.Grains.Hosting;

public static class GrainsServiceCollectionExtensions
{
    /// <summary>
    /// The services the product's grains depend on, plus <see cref="AddCartRecoveryIngestion"/>.
    /// Binds the <c>Policy</c> (initial campaign policy) and <c>Webhook</c> sections. Storage,
    /// reminders and clustering are the silo's: see <see cref="SiloBuilderExtensions.AddCartRecoveryStorage"/>.
    /// </summary>
    public static IServiceCollection AddCartRecoveryGrains(this IServiceCollection services, IConfiguration configuration)
    {
        var policy = configuration.GetSection("Policy").Get<CampaignPolicy>() ?? new CampaignPolicy();
        if (PolicyValidator.Validate(policy) is { } error)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException("Policy", typeof(CampaignPolicy), [$"Policy: {error}"]);
        }

        var webhook = configuration.GetSection(WebhookOptions.Section).Get<WebhookOptions>() ?? new WebhookOptions();
        webhook.Validate();
        services.TryAddSingleton(webhook);
        services.TryAddSingleton(new PolicyCache(policy));
        services.TryAddSingleton<ICartScheduler, LiveCartScheduler>();
        services.TryAddSingleton<IOnSiteNudgePublisher, NullOnSitePublisher>();
        services.TryAddSingleton<NudgeDispatcher>();
        services.AddHttpClient();
        services.TryAddSingleton<WebhookSender>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookSender>());
        services.AddHostedService<PolicyRefresher>();
        services.AddHostedService<ReportBackfill>();
        services.TryAddSingleton<ICartStateSource, StoredCartStates>();

        // Write-behind through the event journal is off unless the silo turns it on (UseEventJournal).
        services.TryAddSingleton(new EventJournalOptions());
        services.TryAddSingleton<EventJournal>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<EventJournal>());
        return services.AddCartRecoveryIngestion(configuration);
    }

    /// <summary>
    /// What any process that takes events needs, silo or Orleans client: validation, the event
    /// bus (one grain call per shopper per batch), the product metrics, the scorer and the model
    /// service over the registry.
    /// </summary>
    public static IServiceCollection AddCartRecoveryIngestion(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(DomainClock.System);
        services.TryAddSingleton(new ScorerProvider(new BaselineScorer()));
        services.TryAddSingleton<DomainMetrics>();
        services.TryAddSingleton<EventValidator>();
        services.TryAddSingleton<EventIngestor>();
        services.TryAddSingleton<RecoveryReports>();
        services.TryAddSingleton<GrainReferences>();
        services.TryAddSingleton<IEventBus, GrainEventBus>();
        services.AddModelRegistry(configuration);
        services.TryAddSingleton<ModelService>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelService>());
        return services;
    }

    /// <summary>The model registry in the same database as grain state (table model_versions).</summary>
    public static IServiceCollection AddModelRegistry(this IServiceCollection services, IConfiguration configuration)
    {
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        storage.EnsureSqliteDirectory();
        services.TryAddSingleton<IModelRegistry>(_ => storage.IsPostgres
            ? new PostgresModelRegistry(storage.ConnectionString!)
            : new SqliteModelRegistry(storage.SqliteConnectionString));
        return services;
    }
}

/// <summary>Keeps this silo's policy in step with the policy grain (edits made through any gateway).</summary>
internal sealed class PolicyRefresher(PolicyCache cache, IGrainFactory grains) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await cache.RefreshAsync(grains);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Storage or the cluster unreachable: keep the policy held; readiness reports it.
                // While the host stops, the silo may already be gone: stop asking.
                if (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }
}
