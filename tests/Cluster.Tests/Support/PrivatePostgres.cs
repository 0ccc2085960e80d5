using CartRecovery.TestSupport;
using Npgsql;

namespace CartRecovery.Cluster.Tests.Support;

/// <summary>
/// A PostgreSQL server of this test alone (initdb into a temp dir, run as the postgres user), so
/// it can be restarted without disturbing the shared server other test assemblies use. Needs
/// root (for su) and the PostgreSQL binaries; <see cref="Unavailable"/> says why not otherwise.
/// </summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _dir;
    private readonly int _port;
    private Reaper? _reaper;

    private PrivatePostgres(string bin, string dir, int port)
    {
        _bin = bin;
        _dir = dir;
        _port = port;
    }

    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=cartrecovery;Timeout=5;Command Timeout=30";

    private string AdminConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres;Timeout=5;Pooling=false";

    public static string? BinDirectory =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;

    /// <summary>Why a private server cannot run here, or null when it can.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "not Linux";
        }

        if (Environment.UserName != "root")
        {
            return $"running as {Environment.UserName}, not root: cannot su to the postgres user";
        }

        if (BinDirectory is null)
        {
            return "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin";
        }

        return File.Exists("/etc/passwd") && File.ReadAllLines("/etc/passwd").Any(l => l.StartsWith("postgres:", StringComparison.Ordinal))
            ? null
            : "no postgres user";
    }

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = BinDirectory ?? throw new InvalidOperationException(Unavailable());
        var dir = Path.Combine(Path.GetTempPath(), "cr-cluster-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        var server = new PrivatePostgres(bin, dir, ClusterHarness.FreePort());
        try
        {
            await RunAsync("chown", ["postgres:postgres", dir]);
            await server.AsPostgresAsync($"{bin}/initdb -D {dir}/data -U postgres --auth=trust -E UTF8 --no-sync >{dir}/initdb.log 2>&1");
            await server.StartServerAsync();
            await using var conn = new NpgsqlConnection(server.AdminConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("CREATE DATABASE cartrecovery", conn);
            await cmd.ExecuteNonQueryAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async Task StartServerAsync()
    {
        await AsPostgresAsync($"{_bin}/pg_ctl -D {_dir}/data -o \"-p {_port} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off\" -l {_dir}/server.log -w -t 60 start");
        if (!await Poll.UntilAsync(PingAsync, TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException("the private PostgreSQL server did not accept connections\n" + Log());
        }

        // pg_ctl daemonizes the server: make sure it dies with the test host.
        _reaper?.Dispose();
        _reaper = int.TryParse(File.ReadLines(Path.Combine(_dir, "data", "postmaster.pid")).FirstOrDefault(), out var pid) ? new Reaper(pid) : null;
    }

    /// <summary>Fast shutdown: every session is terminated, in-flight transactions roll back.</summary>
    public Task StopServerAsync()
    {
        _reaper?.Dispose();
        _reaper = null;
        return AsPostgresAsync($"{_bin}/pg_ctl -D {_dir}/data -m fast -w -t 60 stop");
    }

    public async Task<bool> PingAsync()
    {
        try
        {
            await using var conn = new NpgsqlConnection(AdminConnectionString);
            await conn.OpenAsync();
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    public string Log()
    {
        try
        {
            var lines = File.ReadAllLines(Path.Combine(_dir, "server.log"));
            return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 30)));
        }
        catch (IOException)
        {
            return "(no server log)";
        }
    }

    private Task AsPostgresAsync(string command) => RunAsync("su", ["postgres", "-c", command]);

    private static async Task RunAsync(string file, string[] arguments)
    {
        var result = await ProcessRun.RunAsync(file, arguments, TimeSpan.FromSeconds(120));
        if (result.TimedOut || result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} {(result.TimedOut ? "timed out" : $"exited with {result.ExitCode}")}: {result.Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _reaper?.Dispose();
        NpgsqlConnection.ClearAllPools();
        try
        {
            await AsPostgresAsync($"{_bin}/pg_ctl -D {_dir}/data -m immediate -w -t 30 stop");
        }
        catch (Exception)
        {
            // Not running (start failed or already stopped).
        }

        TempDirectory.Delete(_dir);
    }
}
