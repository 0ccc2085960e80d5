using CartRecovery.Model.Registry;

namespace CartRecovery.Model.Cli;

/// <summary>
/// The registry named by --registry: a PostgreSQL connection string (it has "Host="), a SQLite connection string
/// ("Data Source=..."), or a SQLite file path, relative to the caller's working directory.
/// </summary>
internal static class RegistryConnection
{
    public static IModelRegistry Open(string value)
    {
        if (value.Contains("Host=", StringComparison.OrdinalIgnoreCase))
        {
            return new PostgresModelRegistry(value);
        }

        return new SqliteModelRegistry(value.Contains('=') ? value : $"Data Source={Path.GetFullPath(value)}");
    }
}
