using CartRecovery.Persistence.Configuration;
using Microsoft.Data.Sqlite;
using Npgsql;
using Orleans;
using Orleans.Runtime;

namespace CartRecovery.Persistence.Internal;

// Fails the silo's start, before anything opens, when options are unusable: the message names
// the component, the options type and each bad option.
internal sealed class OptionsValidator(string component, string optionsType, Func<IEnumerable<string>> problems) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var found = problems().ToList();
        if (found.Count > 0)
        {
            throw new OrleansConfigurationException($"Invalid {optionsType} for {component}: {string.Join("; ", found)}.");
        }
    }

    public static IEnumerable<string> Check(string provider, string? connectionString, int maxBatchSize, string? synchronous)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            yield return $"{nameof(RelationalGrainStorageOptions.ConnectionString)} is required";
        }
        else if (ConnectionStringProblem(provider, connectionString) is { } problem)
        {
            yield return $"{nameof(RelationalGrainStorageOptions.ConnectionString)} {problem}";
        }

        if (maxBatchSize < 1)
        {
            yield return $"{nameof(RelationalGrainStorageOptions.MaxBatchSize)} must be at least 1 (was {maxBatchSize})";
        }

        if (synchronous is not null && !SqliteSynchronousLevels.Contains(synchronous, StringComparer.OrdinalIgnoreCase))
        {
            yield return $"{nameof(SqliteStorageOptions.Synchronous)} must be one of {string.Join(", ", SqliteSynchronousLevels)} (was '{synchronous}')";
        }
    }

    private static readonly string[] SqliteSynchronousLevels = ["OFF", "NORMAL", "FULL", "EXTRA"];

    private static string? ConnectionStringProblem(string provider, string connectionString)
    {
        try
        {
            if (provider == DatabaseRegistry.Sqlite)
            {
                return new SqliteConnectionStringBuilder(connectionString).DataSource is { Length: > 0 } ? null : "names no Data Source";
            }

            return new NpgsqlConnectionStringBuilder(connectionString).Host is { Length: > 0 } ? null : "names no Host";
        }
        catch (ArgumentException e)
        {
            return "is not a valid connection string: " + e.Message;
        }
    }
}

// The database settings options resolve to.
internal static class SettingsFrom
{
    public static DatabaseSettings Sqlite(string? connectionString, int maxBatchSize, string synchronous) =>
        new(DatabaseRegistry.Sqlite, CartRecovery.Persistence.Internal.Sqlite.SqliteConnections.Normalize(connectionString!), maxBatchSize, synchronous.ToUpperInvariant());

    public static DatabaseSettings Postgres(string? connectionString, int maxBatchSize) =>
        new(DatabaseRegistry.Postgres, connectionString!, maxBatchSize, "");
}
