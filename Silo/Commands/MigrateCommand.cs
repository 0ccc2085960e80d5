using System.CommandLine;
using CartRecovery.Grains.Hosting;
using CartRecovery.Persistence.Migrations;
using Microsoft.Extensions.Configuration;

namespace CartRecovery.Silo.Commands;

/// <summary>Applies schema migrations and exits; idempotent (run by the Helm pre-upgrade job).</summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var command = new Command("migrate", "Create or migrate the database schema (Storage:*) and exit; idempotent").AcceptSettings();
        command.SetAction((result, ct) => RunAsync(ToolConfiguration.Build(result), ct));
        return command;
    }

    private static async Task<int> RunAsync(IConfiguration configuration, CancellationToken cancellationToken)
    {
        var options = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        try
        {
            options.Validate();
            var provider = options.IsPostgres ? "Postgres" : "Sqlite";
            var report = await StorageMigrator.MigrateAsync(provider, options.IsPostgres ? options.ConnectionString! : options.SqliteConnectionString, cancellationToken);
            await ModelRegistryMigration.RunAsync(options, cancellationToken);
            var applied = report.Applied.Count == 0 ? "nothing to apply" : "applied " + string.Join(", ", report.Applied);
            Console.WriteLine($"schema at version {report.ToVersion} ({report.Provider}; {applied})");
            return 0;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("error: migration failed: " + e.Message);
            return 1;
        }
    }
}
