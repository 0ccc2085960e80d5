using System.Diagnostics.Metrics;
using CartRecovery.Persistence.Diagnostics;
using CartRecovery.Persistence.Internal;
using CartRecovery.Persistence.Reminders;
using CartRecovery.Persistence.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Providers;
using Orleans.Runtime.Hosting;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace CartRecovery.Persistence.Hosting;

// The registrations both providers share.
internal static class StorageRegistration
{
    public static void AddShared(IServiceCollection services)
    {
        services.TryAddSingleton(sp => new StorageInstruments(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(sp => new DatabaseRegistry(sp.GetRequiredService<StorageInstruments>(), sp.GetRequiredService<ILoggerFactory>()));
    }

    // A named grain storage (keyed IGrainStorage, also keyed IGrainStateStore) and its validator.
    public static IServiceCollection AddGrainStorage<TOptions>(IServiceCollection services, string name, Action<OptionsBuilder<TOptions>>? configure,
        Func<TOptions, DatabaseSettings> settings, Func<TOptions, IEnumerable<string>> problems)
        where TOptions : Configuration.RelationalGrainStorageOptions
    {
        AddShared(services);
        configure?.Invoke(services.AddOptions<TOptions>(name));
        services.AddTransient<IConfigurationValidator>(sp => new OptionsValidator($"grain storage '{name}'", typeof(TOptions).Name,
            () => problems(sp.GetRequiredService<IOptionsMonitor<TOptions>>().Get(name))));
        services.AddGrainStorage(name, (sp, key) =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<TOptions>>().Get(key);
            StorageDatabase Database() => sp.GetRequiredService<DatabaseRegistry>().Get(settings(options));
            return new RelationalGrainStorage(key, Database, options.CreateSchema, options.SoleWriter, options.JsonSerializerOptions, options.InitStage,
                sp.GetService<IActivatorProvider>(), sp.GetRequiredService<ILogger<RelationalGrainStorage>>());
        });
        services.AddKeyedSingleton<IGrainStateStore>(name, (sp, _) => (IGrainStateStore)sp.GetRequiredKeyedService<IGrainStorage>(name));
        services.AddKeyedSingleton<IEventJournalStore>(name, (sp, _) => (IEventJournalStore)sp.GetRequiredKeyedService<IGrainStorage>(name));
        if (name == ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME)
        {
            services.TryAddSingleton(sp => sp.GetRequiredKeyedService<IGrainStateStore>(name));
        }

        return services;
    }

    // The reminder service with this library's table (replacing any other table) and its validator.
    public static IServiceCollection AddReminderTable<TOptions>(IServiceCollection services, Action<OptionsBuilder<TOptions>>? configure,
        Func<TOptions, DatabaseSettings> settings, Func<TOptions, IEnumerable<string>> problems)
        where TOptions : Configuration.ReminderTableOptions
    {
        AddShared(services);
        services.AddReminders();
        configure?.Invoke(services.AddOptions<TOptions>());
        services.AddSingleton<IConfigurationValidator>(sp => new OptionsValidator("the reminder table", typeof(TOptions).Name,
            () => problems(sp.GetRequiredService<IOptions<TOptions>>().Value)));
        services.RemoveAll<IReminderTable>();
        services.AddSingleton<IReminderTable>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TOptions>>().Value;
            StorageDatabase Database() => sp.GetRequiredService<DatabaseRegistry>().Get(settings(options));
            return new RelationalReminderTable(new DatabaseUser(Database, options.CreateSchema, "reminder table"),
                sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId, sp.GetRequiredService<ILogger<RelationalReminderTable>>());
        });
        return services;
    }
}
