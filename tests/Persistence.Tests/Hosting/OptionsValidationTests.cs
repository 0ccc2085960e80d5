using CartRecovery.Persistence.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;

namespace CartRecovery.Persistence.Tests.Hosting;

// The validators the registrations add fail with the storage's and the option's names.
public sealed class OptionsValidationTests
{
    [Fact]
    public void AMissingConnectionStringIsNamed()
    {
        var error = Validate(s => s.AddSqliteGrainStorage("carts", ob => ob.Configure(_ => { })));

        Assert.Contains("grain storage 'carts'", error.Message);
        Assert.Contains("SqliteStorageOptions", error.Message);
        Assert.Contains("ConnectionString is required", error.Message);
    }

    [Fact]
    public void EveryBadOptionIsNamed()
    {
        var error = Validate(s => s.AddSqliteGrainStorage("carts", ob => ob.Configure(o =>
        {
            o.ConnectionString = "Data Source=x.db";
            o.MaxBatchSize = 0;
            o.Synchronous = "SOMETIMES";
        })));

        Assert.Contains("MaxBatchSize must be at least 1 (was 0)", error.Message);
        Assert.Contains("Synchronous must be one of OFF, NORMAL, FULL, EXTRA (was 'SOMETIMES')", error.Message);
    }

    [Fact]
    public void PostgresAndReminderOptionsAreValidatedToo()
    {
        Assert.Contains("ConnectionString is not a valid connection string",
            Validate(s => s.AddPostgresGrainStorage("Default", ob => ob.Configure(o => o.ConnectionString = "Host=x;Nonsense Key=1"))).Message);
        Assert.Contains("PostgresReminderTableOptions", Validate(s => s.UsePostgresReminderService(ob => ob.Configure(_ => { }))).Message);
        Assert.Contains("SqliteReminderTableOptions", Validate(s => s.UseSqliteReminderService(ob => ob.Configure(o => o.MaxBatchSize = -1))).Message);
    }

    [Fact]
    public void ValidOptionsPass()
    {
        var services = new ServiceCollection();
        services.AddSqliteGrainStorage("carts", ob => ob.Configure(o => o.ConnectionString = "Data Source=x.db"));
        services.AddPostgresGrainStorage("pg", ob => ob.Configure(o => o.ConnectionString = "Host=localhost;Database=x"));
        using var provider = services.BuildServiceProvider();

        foreach (var validator in provider.GetServices<IConfigurationValidator>())
        {
            validator.ValidateConfiguration();
        }
    }

    private static OrleansConfigurationException Validate(Action<IServiceCollection> register)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        register(services);
        using var provider = services.BuildServiceProvider();
        return Assert.Throws<OrleansConfigurationException>(() =>
        {
            foreach (var validator in provider.GetServices<IConfigurationValidator>())
            {
                validator.ValidateConfiguration();
            }
        });
    }
}
