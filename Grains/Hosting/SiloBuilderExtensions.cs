using CartRecovery.Grains.Carts;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Reports;
using Microsoft.Extensions.DependencyInjection.Extensions;
using CartRecovery.Persistence.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;

namespace CartRecovery.Grains.Hosting;

public static class SiloBuilderExtensions
{
    /// <summary>
    /// Grain state and reminders in the database the <c>Storage</c> section names: a SQLite file
    /// (embedded default) or PostgreSQL. Both providers write concurrent grain writes in one
    /// transaction (group commit), so a batch of events costs one commit, not one per grain.
    /// States are JSON without default values (<see cref="StateJsonContext"/>).
    /// </summary>
    public static ISiloBuilder AddCartRecoveryStorage(this ISiloBuilder silo, IConfiguration configuration)
    {
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        storage.Validate();
        storage.EnsureSqliteDirectory();
        var json = StateJsonContext.Default.Options;
        if (storage.IsPostgres)
        {
            silo.AddPostgresGrainStorageAsDefault(o =>
            {
                o.ConnectionString = storage.ConnectionString!;
                o.JsonSerializerOptions = json;
            });
            silo.UsePostgresReminderService(o => o.ConnectionString = storage.ConnectionString!);
        }
        else
        {
            silo.AddSqliteGrainStorageAsDefault(o =>
            {
                o.ConnectionString = storage.SqliteConnectionString;
                o.JsonSerializerOptions = json;
            });
            silo.UseSqliteReminderService(o => o.ConnectionString = storage.SqliteConnectionString);
        }

        silo.Configure<ReminderOptions>(o =>
        {
            // Cart reminders repeat every second once due, until the cart moves them (see LiveCartScheduler).
            o.MinimumReminderPeriod = LiveCartScheduler.ReminderPeriod;
        });
        silo.Configure<GrainCollectionOptions>(o =>
        {
            var age = configuration.GetValue<TimeSpan?>("Runtime:CollectionAge");
            if (age is { } collectionAge)
            {
                o.CollectionAge = collectionAge;
            }
        });
        return silo;
    }

    /// <summary>
    /// For a process that is not a silo (the gateway role): the storage's read API only, for
    /// reports, cart lookups and model training. It never writes and never creates schema.
    /// </summary>
    public static IServiceCollection AddCartRecoveryStateReader(this IServiceCollection services, IConfiguration configuration)
    {
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        storage.Validate();
        var json = StateJsonContext.Default.Options;
        if (storage.IsPostgres)
        {
            services.AddPostgresGrainStorage(Orleans.Providers.ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, o => o.Configure(p =>
            {
                p.ConnectionString = storage.ConnectionString!;
                p.JsonSerializerOptions = json;
                p.CreateSchema = false;
            }));
        }
        else
        {
            services.AddSqliteGrainStorage(Orleans.Providers.ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, o => o.Configure(p =>
            {
                p.ConnectionString = storage.SqliteConnectionString;
                p.JsonSerializerOptions = json;
                p.CreateSchema = false;
            }));
        }

        services.TryAddSingleton<ICartStateSource, StoredCartStates>();
        return services;
    }
}
