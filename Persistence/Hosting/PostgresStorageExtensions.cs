using CartRecovery.Persistence.Configuration;
using CartRecovery.Persistence.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Providers;

namespace CartRecovery.Persistence.Hosting;

/// <summary>Registers the PostgreSQL grain storage and reminder table.</summary>
public static class PostgresStorageExtensions
{
    /// <summary>Adds a PostgreSQL grain storage named <paramref name="name"/>.</summary>
    public static ISiloBuilder AddPostgresGrainStorage(this ISiloBuilder builder, string name, Action<PostgresStorageOptions> configure) =>
        builder.ConfigureServices(services => services.AddPostgresGrainStorage(name, ob => ob.Configure(configure)));

    /// <summary>Adds a PostgreSQL grain storage named <paramref name="name"/>, configured through an options builder (e.g. to bind configuration).</summary>
    public static ISiloBuilder AddPostgresGrainStorage(this ISiloBuilder builder, string name, Action<OptionsBuilder<PostgresStorageOptions>> configure) =>
        builder.ConfigureServices(services => services.AddPostgresGrainStorage(name, configure));

    /// <summary>Adds a PostgreSQL grain storage as the default storage ("Default").</summary>
    public static ISiloBuilder AddPostgresGrainStorageAsDefault(this ISiloBuilder builder, Action<PostgresStorageOptions> configure) =>
        builder.AddPostgresGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configure);

    /// <summary>Adds a PostgreSQL grain storage named <paramref name="name"/> to a silo's services.</summary>
    public static IServiceCollection AddPostgresGrainStorage(this IServiceCollection services, string name, Action<OptionsBuilder<PostgresStorageOptions>>? configure = null) =>
        StorageRegistration.AddGrainStorage<PostgresStorageOptions>(services, name, configure,
            o => SettingsFrom.Postgres(o.ConnectionString, o.MaxBatchSize),
            o => OptionsValidator.Check(DatabaseRegistry.Postgres, o.ConnectionString, o.MaxBatchSize, null));

    /// <summary>Adds the reminder service with its table in PostgreSQL.</summary>
    public static ISiloBuilder UsePostgresReminderService(this ISiloBuilder builder, Action<PostgresReminderTableOptions> configure) =>
        builder.ConfigureServices(services => services.UsePostgresReminderService(ob => ob.Configure(configure)));

    /// <summary>Adds the reminder service with its table in PostgreSQL, configured through an options builder.</summary>
    public static ISiloBuilder UsePostgresReminderService(this ISiloBuilder builder, Action<OptionsBuilder<PostgresReminderTableOptions>> configure) =>
        builder.ConfigureServices(services => services.UsePostgresReminderService(configure));

    /// <summary>Adds the reminder service with its table in PostgreSQL to a silo's services.</summary>
    public static IServiceCollection UsePostgresReminderService(this IServiceCollection services, Action<OptionsBuilder<PostgresReminderTableOptions>>? configure = null) =>
        StorageRegistration.AddReminderTable<PostgresReminderTableOptions>(services, configure,
            o => SettingsFrom.Postgres(o.ConnectionString, o.MaxBatchSize),
            o => OptionsValidator.Check(DatabaseRegistry.Postgres, o.ConnectionString, o.MaxBatchSize, null));
}
