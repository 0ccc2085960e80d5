using Microsoft.Data.Sqlite;

namespace CartRecovery.Persistence;

/// <summary>The files of a SQLite database on disk: the database itself and what SQLite keeps beside it.</summary>
public static class SqliteFiles
{
    // The files SQLite keeps beside a database: the database's path with these appended.
    private static readonly string[] Sidecars = ["-wal", "-shm", "-journal"];

    /// <summary>
    /// Closes the pooled connections (an idle pooled connection keeps the database and its WAL open),
    /// then deletes the database at <paramref name="path"/> and its sidecar files. For scratch databases:
    /// a file that cannot be deleted (in use, gone, not allowed) is left, and no error is raised.
    /// </summary>
    public static void Delete(string path)
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in Sidecars.Select(s => path + s).Prepend(path))
        {
            try
            {
                File.Delete(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
