using CartRecovery.Runtime.Configuration;
using CartRecovery.Runtime.Hosting;
using CartRecovery.Runtime.Storage;
using CartRecovery.Runtime.Tests.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartRecovery.Runtime.Tests;

/// <summary>Builds a runtime over a given storage, as a silo process would.</summary>
public static class TestSilo
{
    public static async Task<GrainRuntime> StartAsync(IGrainStorage storage, Action<RuntimeOptions>? configure = null, string? siloId = null)
    {
        var options = new RuntimeOptions { Partitions = 8, SiloId = siloId ?? "silo-" + Guid.NewGuid().ToString("N")[..6], FlushInterval = TimeSpan.FromMilliseconds(50) };
        configure?.Invoke(options);
        var services = new ServiceCollection().BuildServiceProvider();
        var runtime = new GrainRuntime(
            options,
            storage,
            [new GrainTypeDescriptor("counter", typeof(ICounterGrain), typeof(CounterGrain))],
            RuntimeServiceCollectionExtensions.BuildStateJson([TestJsonContext.Default]),
            services,
            NullLogger<GrainRuntime>.Instance);
        await runtime.StartAsync(CancellationToken.None);
        return runtime;
    }

    public static string TempSqlite() => $"Data Source={Path.Combine(Path.GetTempPath(), "cr-test-" + Guid.NewGuid().ToString("N") + ".db")}";
}
