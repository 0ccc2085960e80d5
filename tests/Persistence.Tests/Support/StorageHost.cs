using System.Diagnostics.Metrics;
using System.Text.Json;
using CartRecovery.Persistence.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;

namespace CartRecovery.Persistence.Tests.Support;

// The providers as a silo wires them, without the silo: the registration extensions, the
// configuration validators, and a lifecycle started and stopped around the test.
internal sealed class StorageHost : IAsyncDisposable
{
    public const string StorageName = "store";
    public const string ServiceId = "persistence-tests";

    private readonly ServiceProvider _services;
    private readonly TestLifecycle _lifecycle = new();

    private StorageHost(ServiceProvider services)
    {
        _services = services;
        Meters = new MeterCapture(services.GetRequiredService<IMeterFactory>());
    }

    public IServiceProvider Services => _services;

    public IGrainStorage Storage => _services.GetRequiredKeyedService<IGrainStorage>(StorageName);

    public IGrainStateStore Store => _services.GetRequiredGrainStateStore(StorageName);

    public IReminderTable Reminders => _services.GetRequiredService<IReminderTable>();

    public MeterCapture Meters { get; }

    public static async Task<StorageHost> StartAsync(TestDatabase database, bool createSchema = true, JsonSerializerOptions? json = null, bool reminders = false,
        bool soleWriter = false)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddMetrics();
        services.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("test", ServiceId));
        database.AddGrainStorage(services, StorageName, createSchema, json);
        if (soleWriter)
        {
            services.PostConfigureAll<Configuration.SqliteStorageOptions>(o => o.SoleWriter = true);
            services.PostConfigureAll<Configuration.PostgresStorageOptions>(o => o.SoleWriter = true);
        }

        if (reminders)
        {
            database.AddReminderTable(services, createSchema);
        }

        var host = new StorageHost(services.BuildServiceProvider());
        try
        {
            foreach (var validator in host._services.GetServices<IConfigurationValidator>())
            {
                validator.ValidateConfiguration();
            }

            // Only the storage: the reminder service's own participants need a whole silo.
            ((ILifecycleParticipant<ISiloLifecycle>)host.Storage).Participate(host._lifecycle);

            await host._lifecycle.StartAsync();
            if (reminders)
            {
                await host.Reminders.StartAsync(CancellationToken.None);
            }

            return host;
        }
        catch
        {
            await host._services.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_services.GetService<IReminderTable>() is { } table)
        {
            await table.StopAsync(CancellationToken.None);
        }

        await _lifecycle.StopAsync();
        await _services.DisposeAsync();
        Meters.Dispose();
    }
}
