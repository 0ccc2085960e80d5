using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using CartRecovery.Runtime.Configuration;
using CartRecovery.Runtime.Storage;
using CartRecovery.Runtime.Storage.Postgres;
using CartRecovery.Runtime.Storage.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Runtime.Hosting;

public static class RuntimeServiceCollectionExtensions
{
    /// <summary>
    /// Adds the actor runtime, bound to the <c>Runtime</c> and <c>Storage</c> configuration
    /// sections. Options are validated at start with the option's name in the message.
    /// </summary>
    public static IServiceCollection AddGrainRuntime(this IServiceCollection services, IConfiguration configuration)
    {
        var runtime = configuration.GetSection(RuntimeOptions.Section).Get<RuntimeOptions>() ?? new RuntimeOptions();
        runtime.Validate();
        services.TryAddSingleton(runtime);
        services.AddGrainStorage(configuration);
        services.TryAddSingleton(sp => new GrainRuntime(
            sp.GetRequiredService<RuntimeOptions>(),
            sp.GetRequiredService<IGrainStorage>(),
            sp.GetServices<GrainTypeDescriptor>(),
            BuildStateJson(sp.GetServices<IJsonTypeInfoResolver>()),
            sp,
            sp.GetRequiredService<ILogger<GrainRuntime>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IGrainFactory>(sp => sp.GetRequiredService<GrainRuntime>());
        services.AddHostedService<RuntimeHostedService>();
        return services;
    }

    /// <summary>The storage provider chosen by the <c>Storage</c> section (also used by gateways for lookups and reports).</summary>
    public static IServiceCollection AddGrainStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        storage.Validate();
        services.TryAddSingleton(storage);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IGrainStorage>(_ => storage.IsPostgres
            ? new PostgresGrainStorage(storage.ConnectionString!)
            : new SqliteGrainStorage(storage.SqliteConnectionString));
        return services;
    }

    /// <summary>Registers a grain class for an interface under a stable type name (stored with its state).</summary>
    public static IServiceCollection AddGrain<TInterface, TImplementation>(this IServiceCollection services, string typeName)
        where TInterface : class
        where TImplementation : Grain, TInterface
    {
        services.AddSingleton(new GrainTypeDescriptor(typeName, typeof(TInterface), typeof(TImplementation)));
        return services;
    }

    /// <summary>Registers source-generated JSON contracts for grain state types.</summary>
    public static IServiceCollection AddGrainStateJson(this IServiceCollection services, IJsonTypeInfoResolver resolver)
    {
        services.AddSingleton(resolver);
        return services;
    }

    public static JsonSerializerOptions BuildStateJson(IEnumerable<IJsonTypeInfoResolver> resolvers)
    {
        // States are written with the settings their source-generated context declares (which also
        // lets its generated writer run instead of the general-purpose one).
        var all = resolvers.ToArray();
        var options = all.OfType<JsonSerializerContext>().FirstOrDefault() is { } context
            ? new JsonSerializerOptions(context.Options) { TypeInfoResolver = JsonTypeInfoResolver.Combine(all) }
            : new JsonSerializerOptions { TypeInfoResolver = JsonTypeInfoResolver.Combine(all) };
        options.MakeReadOnly();
        return options;
    }
}

/// <summary>Starts and stops the runtime with the host; a graceful stop checkpoints and releases every partition.</summary>
internal sealed class RuntimeHostedService(GrainRuntime runtime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => runtime.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => runtime.StopAsync(cancellationToken);
}
