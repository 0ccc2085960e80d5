using System.Runtime.CompilerServices;
using Npgsql;
using Orleans.Hosting;

namespace CartRecovery.Bench.Storage;

/// <summary>Orleans' ADO.NET grain storage on PostgreSQL: its tables and queries, and its registration.</summary>
internal static class AdoNetBaseline
{
    /// <summary>Creates the provider's table and query rows (<c>AdoNetPostgres.sql</c>, beside this file).</summary>
    public static async Task CreateSchemaAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(await File.ReadAllTextAsync(ScriptPath(), cancellationToken), connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static void AddStorage(ISiloBuilder silo, string connectionString) =>
        silo.AddAdoNetGrainStorage(BenchCartGrain.StorageName, o =>
        {
            o.Invariant = "Npgsql";
            o.ConnectionString = connectionString;
        });

    // The script is read from the source tree: the bench runs from the repository, and its project
    // file (owned elsewhere) does not copy it to the output.
    private static string ScriptPath([CallerFilePath] string source = "")
    {
        var beside = Path.Combine(Path.GetDirectoryName(source)!, "AdoNetPostgres.sql");
        if (File.Exists(beside))
        {
            return beside;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "Storage", "AdoNetPostgres.sql");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("bench/Storage/AdoNetPostgres.sql not found (run the bench from the repository)", beside);
    }
}
