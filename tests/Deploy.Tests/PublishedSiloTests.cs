using System.Net;
using System.Security.Cryptography;
using CartRecovery.Deploy.Tests.Support;
using CartRecovery.TestSupport;
using Npgsql;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace CartRecovery.Deploy.Tests;

/// <summary>
/// The published application (the Dockerfile's publish step) run the way the image and the chart run it:
/// `migrate` is idempotent on SQLite and PostgreSQL; the embedded role (`both`) starts, becomes ready
/// and serves /metrics; the cluster roles (`silo`, `gateway`) start against Kafka (librdkafka's mock
/// brokers) and PostgreSQL with the chart's environment; SIGTERM exits cleanly; and the `healthcheck`
/// subcommand the image's HEALTHCHECK uses reports liveness.
/// </summary>
[Collection(PublishedSiloCollection.Name)]
public sealed class PublishedSiloTests : IDisposable
{
    private static readonly TimeSpan MigrateTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Kubernetes gives a silo 45 s (terminationGracePeriodSeconds) before SIGKILL.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(40);

    private readonly PublishedSilo _silo;
    private readonly ITestOutputHelper _output;
    /// <summary>The processes' working and temp directory (their SQLite files too), deleted after each test.</summary>
    private readonly TempDirectory _temp = new("cr-deploy-run-");

    public PublishedSiloTests(PublishedSilo silo, ITestOutputHelper output)
    {
        _silo = silo;
        _output = output;
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task MigrateSqliteTwiceSucceeds()
    {
        _silo.EnsurePublished();
        var db = Path.Combine(_temp.Path, "state.db");
        var env = SqliteEnvironment(db);

        await MigrateAsync(env, "first");
        Assert.True(File.Exists(db), "migrate did not create the SQLite database file");
        await MigrateAsync(env, "second (idempotent)");
    }

    [Fact]
    public async Task MigratePostgresTwiceSucceeds()
    {
        _silo.EnsurePublished();
        var database = new PostgresDatabase();
        await database.InitializeAsync();
        try
        {
            var env = PublishedSilo.ImageEnvironment(_temp.Path);
            env["Storage__Provider"] = "Postgres";
            env["Storage__ConnectionString"] = database.ConnectionString;

            await MigrateAsync(env, "first");
            Assert.True(await CountTablesAsync(database.ConnectionString) > 0, "migrate created no table in PostgreSQL");
            var tables = await CountTablesAsync(database.ConnectionString);
            await MigrateAsync(env, "second (idempotent)");
            Assert.Equal(tables, await CountTablesAsync(database.ConnectionString));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await database.DisposeAsync();
        }
    }

    [Fact]
    public async Task EmbeddedRoleStartsBecomesReadyServesMetricsAndStopsOnSigterm()
    {
        _silo.EnsurePublished();
        var db = Path.Combine(_temp.Path, "state.db");
        await MigrateAsync(SqliteEnvironment(db), "before start");

        var env = ServerEnvironment(SqliteEnvironment(db), "both", out var port);
        await using var process = SiloProcess.Start(_silo.EntryPath, _temp.Path, env, port);
        try
        {
            await AssertLiveAsync(process, "both");
            Assert.True(await process.WaitForOkAsync("/health/ready", StartTimeout),
                "role both (embedded: SQLite, events applied in process) never became ready on /health/ready");
            var metrics = await process.GetAsync("/metrics");
            await AssertCleanStopAsync(process, "both");

            Assert.Equal(HttpStatusCode.OK, metrics.Status);
            Assert.Equal("text/plain", metrics.ContentType);
            Assert.Contains("process_resident_memory_bytes", metrics.Body, StringComparison.Ordinal);
        }
        catch
        {
            _output.WriteLine(Tail(process.Output));
            throw;
        }
    }

    /// <summary>
    /// kill -9 of the embedded silo right after the store got its answer: on restart every
    /// acknowledged event is there (the cart's written through, the shopper's, written behind, from
    /// the event journal), and the cart deadline that passed while the process was down fires from
    /// its durable reminder within 2 s of the restart, without any request for the cart.
    /// </summary>
    [Fact]
    public async Task AfterKill9EveryAcknowledgedEventIsKeptAndAMissedDeadlineFiresSoonAfterTheRestart()
    {
        _silo.EnsurePublished();
        var db = Path.Combine(_temp.Path, "state.db");
        await MigrateAsync(SqliteEnvironment(db), "before start");
        var env = ServerEnvironment(SqliteEnvironment(db), "both", out var port);
        env["Auth__IngestKey"] = "deploy-tests-ingest-key";
        env["Policy__OnsiteDelaySeconds"] = "2";
        env["Policy__AbandonAfterSeconds"] = "3";
        env["Policy__MinCartValue"] = "0";
        env["Policy__ControlFraction"] = "0";

        var at = DateTimeOffset.UtcNow;
        var events = string.Join(",", Enumerable.Range(0, 20).Select(i =>
            $$$"""{"event_id":"k{{{i}}}","type":"add_to_cart","shopper_id":"crash","session_id":"s1","cart_id":"c1","occurred_at":"{{{at:O}}}","item":{"sku":"sku-{{{i}}}","price":10,"quantity":1}}"""));
        await using (var first = SiloProcess.Start(_silo.EntryPath, _temp.Path, env, port))
        {
            await AssertLiveAsync(first, "both");
            using var http = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/v1/events") { Content = new StringContent("[" + events + "]", System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Api-Key", env["Auth__IngestKey"]);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await first.KillAsync();
        }

        // Down past the abandon deadline (3 s after the adds) and the reminder behind it.
        var wait = at + TimeSpan.FromSeconds(5) - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        await using var second = SiloProcess.Start(_silo.EntryPath, _temp.Path, env, port);
        try
        {
            await AssertLiveAsync(second, "both");
            var live = System.Diagnostics.Stopwatch.StartNew();
            var token = await AdminTokenAsync(port, env);
            System.Text.Json.JsonElement cart;
            do
            {
                cart = await GetCartAsync(port, token, "crash", "c1");
            }
            while (cart.GetProperty("stage").GetString() != "abandoned" && live.Elapsed < TimeSpan.FromSeconds(10) && await Task.Delay(100).ContinueWith(_ => true));

            Assert.Equal(20, cart.GetProperty("lines").GetArrayLength());
            Assert.Equal("abandoned", cart.GetProperty("stage").GetString());
            Assert.True(live.Elapsed < TimeSpan.FromSeconds(2.5), $"abandoned {live.Elapsed.TotalSeconds:0.0} s after the restarted silo was live");
            var shopper = await GetJsonAsync(port, token, "/v1/shoppers/crash");
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"k{i}"), shopper.GetProperty("recent_event_ids").EnumerateArray().Select(e => e.GetString()));
            await AssertCleanStopAsync(second, "both");
        }
        catch
        {
            _output.WriteLine(Tail(second.Output));
            throw;
        }
    }

    private static async Task<string> AdminTokenAsync(int port, IReadOnlyDictionary<string, string?> env)
    {
        using var http = new HttpClient();
        var body = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string?> { ["username"] = env.GetValueOrDefault("Auth__AdminUser") ?? "admin", ["password"] = env["Auth__AdminPassword"] });
        using var response = await http.PostAsync($"http://127.0.0.1:{port}/v1/auth/login", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
    }

    private static Task<System.Text.Json.JsonElement> GetCartAsync(int port, string token, string shopper, string cart) =>
        GetJsonAsync(port, token, $"/v1/carts/{cart}?shopper_id={shopper}");

    private static async Task<System.Text.Json.JsonElement> GetJsonAsync(int port, string token, string path)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The embedded default as `./run.sh` starts it: no storage settings, no migrate, an empty working directory.</summary>
    [Fact]
    public async Task EmbeddedDefaultStartsInAnEmptyWorkingDirectoryWithoutMigrate()
    {
        _silo.EnsurePublished();
        // Declared before the process, so it is deleted after the process is gone.
        using var emptyDirectory = new TempDirectory("cr-empty-");
        var empty = emptyDirectory.Path;
        var env = PublishedSilo.ImageEnvironment(empty);
        env["ASPNETCORE_ENVIRONMENT"] = "Development";
        env["Storage__Provider"] = null;
        env["Storage__ConnectionString"] = null;
        var port = PublishedSilo.FreePort();
        env["Http__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var process = SiloProcess.Start(_silo.EntryPath, empty, env, port);
        try
        {
            Assert.True(await process.WaitForOkAsync("/health/ready", StartTimeout), "the embedded default never became ready in an empty working directory");
            Assert.True(File.Exists(Path.Combine(empty, ".data", "cartrecovery.db")), "no SQLite file under the working directory's .data/");
            await AssertCleanStopAsync(process, "both");
        }
        catch
        {
            _output.WriteLine(Tail(process.Output));
            throw;
        }
    }

    [Fact]
    public async Task HealthcheckSubcommandReflectsLiveness()
    {
        _silo.EnsurePublished();
        var db = Path.Combine(_temp.Path, "state.db");
        await MigrateAsync(SqliteEnvironment(db), "before start");
        var env = ServerEnvironment(SqliteEnvironment(db), "both", out var port);

        await using (var process = SiloProcess.Start(_silo.EntryPath, _temp.Path, env, port))
        {
            try
            {
                Assert.True(await process.WaitForOkAsync("/health/live", StartTimeout), "the server never became live");
                var up = await ProcessRun.RunAsync(PublishedSilo.DotnetHost(), [_silo.EntryPath, "healthcheck"], TimeSpan.FromSeconds(60), _temp.Path, env);
                Assert.True(up.ExitCode == 0, $"`healthcheck` against a live server exited {up.ExitCode}:\n{up.Tail()}");
            }
            catch
            {
                _output.WriteLine(Tail(process.Output));
                throw;
            }
        }

        // nothing listens on the port any more
        var down = await ProcessRun.RunAsync(PublishedSilo.DotnetHost(), [_silo.EntryPath, "healthcheck"], TimeSpan.FromSeconds(60), _temp.Path, env);
        Assert.False(down.TimedOut, "`healthcheck` hung with no server (the image's HEALTHCHECK has a 5 s timeout)");
        Assert.True(down.ExitCode != 0, "`healthcheck` reported healthy with no server running");
    }

    // ---------------------------------------------------------------------------------------------

    private static async Task AssertLiveAsync(SiloProcess process, string role) =>
        Assert.True(await process.WaitForOkAsync("/health/live", StartTimeout),
            $"role {role}: GET /health/live on Http__Port={process.Port} never answered 200{(process.HasExited ? " (the process exited)" : "")}");

    private static async Task AssertCleanStopAsync(SiloProcess process, string role)
    {
        var exit = await process.TerminateAsync(DrainTimeout);
        Assert.True(exit is not null, $"role {role}: still running {DrainTimeout.TotalSeconds} s after SIGTERM");
        Assert.True(exit == 0, $"role {role}: exit code {exit} after SIGTERM (expected a clean 0)");
    }

    private async Task MigrateAsync(IReadOnlyDictionary<string, string?> env, string what)
    {
        var result = await ProcessRun.RunAsync(PublishedSilo.DotnetHost(), [_silo.EntryPath, "migrate"], MigrateTimeout, _temp.Path, env);
        Assert.False(result.TimedOut, $"migrate ({what}) did not finish within {MigrateTimeout.TotalMinutes} min:\n{result.Tail()}");
        Assert.True(result.ExitCode == 0, $"migrate ({what}) exited {result.ExitCode}:\n{result.Tail()}");
    }

    private Dictionary<string, string?> SqliteEnvironment(string db)
    {
        var env = PublishedSilo.ImageEnvironment(_temp.Path);
        env["Storage__Provider"] = "Sqlite";
        env["Storage__ConnectionString"] = $"Data Source={db}";
        return env;
    }

    /// <summary>
    /// What a pod of the chart gets (values.yaml defaults, Production, secrets as from the Secret)
    /// on top of <paramref name="storage"/> (storage and Kafka settings), with free ports.
    /// </summary>
    private static Dictionary<string, string?> ServerEnvironment(IReadOnlyDictionary<string, string?> storage, string role, out int port)
    {
        var env = new Dictionary<string, string?>(storage, StringComparer.Ordinal);
        foreach (var (name, value) in ChartEnvironment())
        {
            env[name] = value;
        }

        port = PublishedSilo.FreePort();
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        env["Silo__Role"] = role;
        env["Http__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["Auth__SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        env["Auth__AdminPassword"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        env["Auth__ShopperTokenKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        env["Webhook__Secret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        return env;
    }

    /// <summary>
    /// Environment variables of the chart's silo container whose values come from values.yaml, infrastructure ones left
    /// out: storage, Kafka's brokers, the role, and the cluster section (Redis membership, fixed Orleans ports, Kubernetes
    /// hosting), which the caller's role decides (both = localhost clustering).
    /// </summary>
    private static IEnumerable<(string Name, string Value)> ChartEnvironment()
    {
        var chart = HelmChart.Repository;
        var silo = ChartTests.Containers().First(c => c.Template == "silo-statefulset.yaml").Container;
        string[] infrastructure = ["Storage__Provider", "Storage__ConnectionString", "Kafka__BootstrapServers", "Silo__Role"];
        foreach (var env in ChartTests.EnvEntries(silo))
        {
            var name = Yaml.Scalar(env, "name")!;
            if (infrastructure.Contains(name) || name.StartsWith("Cluster__", StringComparison.Ordinal) ||
                Yaml.Find(env, "value") is not YamlScalarNode { Value: { } raw })
            {
                continue;
            }

            var token = chart.Token(raw);
            if (token is null)
            {
                yield return (name, raw);
            }
            else if (token.ValuesPath is { } path && Yaml.Find(chart.Values, path) is YamlScalarNode { Value: { } value })
            {
                yield return (name, value);
            }
        }
    }

    private static async Task<long> CountTablesAsync(string connectionString)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select count(*) from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')", conn);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static string Tail(string text, int lines = 80)
    {
        var all = text.Split('\n');
        return "--- process output (tail) ---\n" + string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }
}
