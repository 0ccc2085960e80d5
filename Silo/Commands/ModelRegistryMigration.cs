using CartRecovery.Model.Registry;
using CartRecovery.Grains.Hosting;

namespace CartRecovery.Silo.Commands;

/// <summary>Schema of the model registry, created with the rest of the schema by migrate.</summary>
internal static class ModelRegistryMigration
{
    public static Task RunAsync(StorageOptions options, CancellationToken cancellationToken)
    {
        IModelRegistry registry = options.IsPostgres
            ? new PostgresModelRegistry(options.ConnectionString!)
            : new SqliteModelRegistry(options.SqliteConnectionString);
        return registry.EnsureSchemaAsync(cancellationToken);
    }
}
