using CartRecovery.Runtime.Configuration;
using CartRecovery.Runtime.Storage;
using CartRecovery.Runtime.Storage.Postgres;
using CartRecovery.Runtime.Storage.Sqlite;

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
            await using IGrainStorage storage = options.IsPostgres
                ? new PostgresGrainStorage(options.ConnectionString!)
                : new SqliteGrainStorage(options.SqliteConnectionString);
            await storage.MigrateAsync(cancellationToken);
            await ModelRegistryMigration.RunAsync(options, cancellationToken);
            Console.WriteLine($"schema at version {await storage.SchemaVersionAsync(cancellationToken)} ({storage.ProviderName})");
            return 0;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("error: migration failed: " + e.Message);
            return 1;
        }
    }
}
