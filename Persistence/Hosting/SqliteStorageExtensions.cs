using CartRecovery.Persistence.Configuration;
using CartRecovery.Persistence.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Providers;

namespace CartRecovery.Persistence.Hosting;

/// <summary>Registers the SQLite grain storage and reminder table.</summary>
public static class SqliteStorageExtensions
{
    /// <summary>Adds a SQLite grain storage named <paramref name="name"/>.</summary>
    public static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder builder, string name, Action<SqliteStorageOptions> configure) =>
        builder.ConfigureServices(services => services.AddSqliteGrainStorage(name, ob => ob.Configure(configure)));

    /// <summary>Adds a SQLite grain storage named <paramref name="name"/>, configured through an options builder (e.g. to bind configuration).</summary>
    public static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder builder, string name, Action<OptionsBuilder<SqliteStorageOptions>> configure) =>
        builder.ConfigureServices(services => services.AddSqliteGrainStorage(name, configure));

    /// <summary>Adds a SQLite grain storage as the default storage ("Default").</summary>
    public static ISiloBuilder AddSqliteGrainStorageAsDefault(this ISiloBuilder builder, Action<SqliteStorageOptions> configure) =>
        builder.AddSqliteGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configure);

    /// <summary>Adds a SQLite grain storage named <paramref name="name"/> to a silo's services.</summary>
    public static IServiceCollection AddSqliteGrainStorage(this IServiceCollection services, string name, Action<OptionsBuilder<SqliteStorageOptions>>? configure = null) =>
        StorageRegistration.AddGrainStorage<SqliteStorageOptions>(services, name, configure,
            o => SettingsFrom.Sqlite(o.ConnectionString, o.MaxBatchSize, o.Synchronous),
            o => OptionsValidator.Check(DatabaseRegistry.Sqlite, o.ConnectionString, o.MaxBatchSize, o.Synchronous));

    /// <summary>Adds the reminder service with its table in SQLite.</summary>
    public static ISiloBuilder UseSqliteReminderService(this ISiloBuilder builder, Action<SqliteReminderTableOptions> configure) =>
        builder.ConfigureServices(services => services.UseSqliteReminderService(ob => ob.Configure(configure)));

    /// <summary>Adds the reminder service with its table in SQLite, configured through an options builder.</summary>
    public static ISiloBuilder UseSqliteReminderService(this ISiloBuilder builder, Action<OptionsBuilder<SqliteReminderTableOptions>> configure) =>
        builder.ConfigureServices(services => services.UseSqliteReminderService(configure));

    /// <summary>Adds the reminder service with its table in SQLite to a silo's services.</summary>
    public static IServiceCollection UseSqliteReminderService(this IServiceCollection services, Action<OptionsBuilder<SqliteReminderTableOptions>>? configure = null) =>
        StorageRegistration.AddReminderTable<SqliteReminderTableOptions>(services, configure,
            o => SettingsFrom.Sqlite(o.ConnectionString, o.MaxBatchSize, o.Synchronous),
            o => OptionsValidator.Check(DatabaseRegistry.Sqlite, o.ConnectionString, o.MaxBatchSize, o.Synchronous));
}
