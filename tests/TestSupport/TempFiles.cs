using CartRecovery.Persistence;
using Microsoft.Data.Sqlite;

namespace CartRecovery.TestSupport;

/// <summary>
/// A directory of its own under the system temp directory (for one test, fixture or host), deleted
/// with everything in it on dispose, SQLite databases and their -wal, -shm and -journal files
/// included. Dispose it after whatever uses the files has been stopped and disposed.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    /// <param name="prefix">Starts the directory's name (e.g. "cr-model-"), so a leftover says who left it.</param>
    public TempDirectory(string prefix) => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Path { get; }

    /// <summary>The path of <paramref name="name"/> in the directory (not created).</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes <paramref name="content"/> to <paramref name="name"/> in the directory; returns its path.</summary>
    public string Write(string name, string content)
    {
        var path = File(name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Every file name in the directory, including hidden temp files a failed write could leave.</summary>
    public string[] Files() => Directory.GetFiles(Path).Select(System.IO.Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();

    public void Dispose() => Delete(Path);

    /// <summary>
    /// Deletes <paramref name="path"/> and everything under it, if it exists, after closing the
    /// pooled SQLite connections that could hold a database in it open. Best effort: a failure to
    /// delete is ignored, so cleanup never fails a test.
    /// </summary>
    public static void Delete(string path)
    {
        SqliteConnection.ClearAllPools();
        TempFiles.BestEffort(() =>
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        });
    }
}

/// <summary>
/// A SQLite database file under the system temp directory, not created here (SQLite creates it on
/// first open); deleted on dispose with its -wal, -shm and -journal files. Dispose it after the
/// silo, host or connection that uses it has been stopped and disposed.
/// </summary>
public sealed class TempSqliteFile : IDisposable
{
    /// <param name="prefix">Starts the file's name (e.g. "cr-domain-"), so a leftover says who left it; a GUID and ".db" follow.</param>
    public TempSqliteFile(string prefix) => Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N") + ".db");

    public string Path { get; }

    /// <summary>"Data Source=" the file.</summary>
    public string ConnectionString => $"Data Source={Path}";

    /// <summary>Deletes the database and its sidecar files, ignoring failures, so cleanup never fails a test.</summary>
    public void Dispose() => SqliteFiles.Delete(Path);
}

internal static class TempFiles
{
    /// <summary>
    /// What the .NET runtime of process <paramref name="pid"/> names its diagnostics files after
    /// (the process's start time in clock ticks since boot, from /proc), so they can be told apart
    /// from those of a later process with the same id; null when not on Linux or the process is gone.
    /// </summary>
    public static string? RuntimeIpcKey(int pid)
    {
        try
        {
            // "pid (comm) state ppid ...": starttime is field 22, the 20th after the command name.
            var stat = System.IO.File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? $"{pid}-{fields[19]}" : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Deletes the diagnostics IPC files a .NET process left in <paramref name="tempDirectory"/>
    /// (dotnet-diagnostic-KEY-socket, clr-debug-pipe-KEY-in and -out, <paramref name="key"/> from
    /// <see cref="RuntimeIpcKey"/>): the runtime removes them when it exits, not when it is killed.
    /// </summary>
    public static void DeleteRuntimeIpcFiles(string tempDirectory, string key)
    {
        foreach (var name in (string[])[$"dotnet-diagnostic-{key}-socket", $"clr-debug-pipe-{key}-in", $"clr-debug-pipe-{key}-out"])
        {
            BestEffort(() => System.IO.File.Delete(System.IO.Path.Combine(tempDirectory, name)));
        }
    }

    /// <summary>Runs a deletion, ignoring the errors a file system can answer with (in use, gone, not allowed).</summary>
    public static void BestEffort(Action delete)
    {
        try
        {
            delete();
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
