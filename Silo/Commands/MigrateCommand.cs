using CartRecovery.Grains.Hosting;
using CartRecovery.Persistence.Migrations;

namespace CartRecovery.Silo.Commands;

/// <summary>Applies schema migrations and exits; idempotent (run by the Helm pre-upgrade job).</summary>
internal static class MigrateCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var configuration = ToolConfiguration.Build(args);
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
