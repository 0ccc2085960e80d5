using Microsoft.Data.Sqlite;

namespace CartRecovery.Persistence.Internal.Sqlite;

// Connection strings and per-connection settings of the SQLite provider.
internal static class SqliteConnections
{
    // Grains are written at random places in the key index, so nearly every state written dirties
    // a page of its own. A larger page cache and a memory-mapped file keep those pages in memory.
    // The WAL may grow to 256 MB (65,536 pages) before it is copied back into the database: a hot
    // page rewritten by many commits is then copied (and synced) once per 256 MB of commits. The
    // old runtime's ingest bench measured 21-27% more events/s than with a 32 MB WAL, and no further
    // gain at 1 GB. After each copy the file is cut back to 256 MB if it grew past it.
    private const string WriterPragmas = "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=30000; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; PRAGMA wal_autocheckpoint=65536; PRAGMA journal_size_limit=268435456;";

    private const string ReaderPragmas = "PRAGMA busy_timeout=30000; PRAGMA cache_size=-16384; PRAGMA mmap_size=268435456;";

    // The connection string every connection of one database uses (pooled, 30 s busy timeout, the
    // file's full path, so two spellings of one file share a writer). Creates the file's directory.
    public static string Normalize(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true, DefaultTimeout = 30 };
        if (builder.DataSource is { Length: > 0 } file && file != ":memory:" && builder.Mode != SqliteOpenMode.Memory)
        {
            builder.DataSource = Path.GetFullPath(file);
            if (Path.GetDirectoryName(builder.DataSource) is { Length: > 0 } dir)
            {
                Directory.CreateDirectory(dir);
            }
        }

        return builder.ToString();
    }

    // The writer: WAL mode, the large WAL, and the durability level of commits.
    public static SqliteConnection OpenWriter(string connectionString, string synchronous) =>
        Open(connectionString, $"{WriterPragmas} PRAGMA synchronous={synchronous};");

    public static SqliteConnection OpenReader(string connectionString) => Open(connectionString, ReaderPragmas);

    public static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static SqliteConnection Open(string connectionString, string pragmas)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using var command = Command(connection, pragmas);
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
