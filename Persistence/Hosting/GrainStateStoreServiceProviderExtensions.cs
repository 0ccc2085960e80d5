using Microsoft.Extensions.DependencyInjection;

namespace CartRecovery.Persistence.Hosting;

/// <summary>Finds the <see cref="IGrainStateStore"/> of a grain storage by its name.</summary>
public static class GrainStateStoreServiceProviderExtensions
{
    /// <summary>The reports API of the grain storage registered as <paramref name="storageName"/>.</summary>
    /// <exception cref="InvalidOperationException">No storage of this library has that name.</exception>
    public static IGrainStateStore GetRequiredGrainStateStore(this IServiceProvider services, string storageName) =>
        services.GetRequiredKeyedService<IGrainStateStore>(storageName);
}
