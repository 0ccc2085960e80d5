namespace CartRecovery.Bench.Support;

/// <summary>A temporary SQLite database file (with its WAL and SHM companions), removed on dispose.</summary>
internal sealed class TempSqlite : IDisposable
{
    public TempSqlite(string prefix)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}.db");
    }

    public string Path { get; }

    public string ConnectionString => $"Data Source={Path}";

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            try
            {
                File.Delete(Path + suffix);
            }
            catch (IOException)
            {
            }
        }
    }
}
