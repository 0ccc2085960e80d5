using System.Net;
using System.Net.Sockets;
using CartRecovery.Persistence.Hosting;
using CartRecovery.Persistence.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;

namespace CartRecovery.Persistence.Tests.Hosting;

// The providers inside a real silo, wired by the silo builder extensions. IAsyncLifetime, not
// IAsyncDisposable: xunit 2 disposes a test class only through IDisposable or IAsyncLifetime.
public sealed class SiloTests : IAsyncLifetime
{
    private readonly SqliteTestDatabase _database = new();

    [Fact]
    public async Task APersistentGrainStoresItsStateAndReminderThroughTheProviders()
    {
        using var host = Silo(silo => silo
            .AddSqliteGrainStorage("store", o => o.ConnectionString = _database.ConnectionString)
            .UseSqliteReminderService(o => o.ConnectionString = _database.ConnectionString));
        await host.StartAsync();
        var grain = host.Services.GetRequiredService<IGrainFactory>().GetGrain<ITallyGrain>("s1/c1");

        Assert.Equal(2, await grain.AddAsync(2));
        Assert.Equal(5, await grain.AddAsync(3));

        var json = await host.Services.GetRequiredGrainStateStore("store").ReadJsonAsync("tally", "s1/c1", "tally", CancellationToken.None);
        Assert.Contains("\"Total\":5", json);
        var reminders = await host.Services.GetRequiredService<IReminderTable>().ReadRows(GrainId.Create("tally", "s1/c1"));
        Assert.Equal("recount", Assert.Single(reminders.Reminders).ReminderName);
        await host.StopAsync();
    }

    [Fact]
    public async Task ASiloWithInvalidStorageOptionsFailsToStartNamingTheOption()
    {
        using var host = Silo(silo => silo.AddPostgresGrainStorage("store", o => o.MaxBatchSize = 0));

        var error = await Assert.ThrowsAsync<OrleansConfigurationException>(() => host.StartAsync());

        Assert.Contains("grain storage 'store'", error.Message);
        Assert.Contains("ConnectionString is required", error.Message);
        Assert.Contains("MaxBatchSize", error.Message);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private static IHost Silo(Action<ISiloBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort(), FreePort());
            configure(silo);
        });
        return builder.Build();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public interface ITallyGrain : IGrainWithStringKey
{
    Task<int> AddAsync(int amount);
}

[GenerateSerializer]
public sealed class Tally
{
    [Id(0)]
    public int Total { get; set; }
}

[GrainType("tally")]
public sealed class TallyGrain([PersistentState("tally", "store")] IPersistentState<Tally> tally) : Grain, ITallyGrain, IRemindable
{
    public async Task<int> AddAsync(int amount)
    {
        tally.State.Total += amount;
        await tally.WriteStateAsync();
        await this.RegisterOrUpdateReminder("recount", TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        return tally.State.Total;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;
}
