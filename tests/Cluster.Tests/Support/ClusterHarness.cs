using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CartRecovery.TestSupport;
using Npgsql;
using Xunit.Abstractions;

namespace CartRecovery.Cluster.Tests.Support;

/// <summary>One silo or gateway process of a <see cref="ClusterHarness"/>.</summary>
internal sealed record ClusterNode(string Name, string Role, int HttpPort, ChildProcess Process)
{
    public string BaseAddress => $"http://127.0.0.1:{HttpPort}";
}

/// <summary>
/// A cluster on one machine: silos (<c>Silo:Role=silo</c>) and gateways (<c>Silo:Role=gateway</c>,
/// Orleans clients) as separate <c>CartRecovery.Silo</c> processes, Orleans membership in the local
/// Redis (its own cluster id per test), grain state and reminders in a throw-away PostgreSQL
/// database. Everything asserted is read from outside: HTTP, PostgreSQL, the processes' logs.
/// </summary>
internal sealed class ClusterHarness : IAsyncDisposable
{
    public const string IngestKey = "cluster-tests-ingest-key";
    public const string AdminPassword = "cluster-tests-admin-password";
    public const string SigningKey = "cluster-tests-signing-key-0123456789abcdef";

    private static readonly string SiloDll = Path.Combine(AppContext.BaseDirectory, "CartRecovery.Silo.dll");

    private readonly ITestOutputHelper _output;
    private readonly PostgresDatabase? _database;
    private readonly Dictionary<string, string> _settings;
    private readonly List<ClusterNode> _nodes = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private string? _token;

    private ClusterHarness(ITestOutputHelper output, PostgresDatabase? database, Dictionary<string, string> settings)
    {
        _output = output;
        _database = database;
        _settings = settings;
    }

    public string ConnectionString => _settings["Storage:ConnectionString"];

    public static string RedisConnectionString => Environment.GetEnvironmentVariable("CARTRECOVERY_TEST_REDIS") is { Length: > 0 } r ? r : "127.0.0.1:6379";

    /// <summary>A fresh database (migrated) and settings every node shares; <paramref name="policy"/> overrides the test policy.</summary>
    public static async Task<ClusterHarness> StartAsync(ITestOutputHelper output, IReadOnlyDictionary<string, string>? policy = null, string? connectionString = null, string? redis = null)
    {
        PostgresDatabase? database = null;
        if (connectionString is null)
        {
            database = new PostgresDatabase();
            await database.InitializeAsync();
            connectionString = database.ConnectionString;
        }

        var settings = new Dictionary<string, string>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:ConnectionString"] = connectionString,
            ["Cluster:Membership"] = "Redis",
            ["Cluster:RedisConnectionString"] = redis ?? RedisConnectionString,
            ["Cluster:ClusterId"] = "t" + Guid.NewGuid().ToString("N")[..12],
            ["Cluster:AdvertisedAddress"] = "127.0.0.1",
            ["Auth:IngestKey"] = IngestKey,
            ["Auth:AdminPassword"] = AdminPassword,
            ["Auth:SigningKey"] = SigningKey,
            ["Policy:OnsiteDelaySeconds"] = "3",
            ["Policy:AbandonAfterSeconds"] = "6",
            ["Policy:ExpireAfterHours"] = "24",
            ["Policy:MinCartValue"] = "0",
            ["Policy:RiskThreshold"] = "0",
            ["Policy:ControlFraction"] = "0",
            ["Policy:QuietHours:StartHour"] = "0",
            ["Policy:QuietHours:EndHour"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in policy ?? new Dictionary<string, string>())
        {
            settings[k] = v;
        }

        var harness = new ClusterHarness(output, database, settings);
        await harness.RunToolAsync("migrate");
        return harness;
    }

    public IReadOnlyList<ClusterNode> Nodes
    {
        get
        {
            lock (_nodes)
            {
                return _nodes.ToList();
            }
        }
    }

    public Task<ClusterNode> StartSiloAsync(string name) => StartNodeAsync(name, "silo");

    /// <summary>SIGTERM, as Kubernetes stops a pod: the silo leaves the cluster and finishes its writes.</summary>
    public async Task StopGracefullyAsync(ClusterNode node)
    {
        node.Process.Signal(ChildProcess.SigTerm);
        Assert.True(await node.Process.WaitForExitAsync(TimeSpan.FromSeconds(45)), $"{node.Name} did not stop within 45 s of SIGTERM:\n{node.Process.Tail()}");
        Assert.True(node.Process.ExitCode == 0, $"{node.Name} exited {node.Process.ExitCode} after SIGTERM:\n{node.Process.Tail()}");
    }

    public Task<ClusterNode> StartGatewayAsync(string name) => StartNodeAsync(name, "gateway");

    private async Task<ClusterNode> StartNodeAsync(string name, string role)
    {
        var port = FreePort();
        var args = new List<string> { SiloDll, $"--Silo:Role={role}", $"--Http:Port={port}", "--Http:Host=127.0.0.1" };
        if (role == "silo")
        {
            args.Add($"--Cluster:SiloPort={FreePort()}");
            args.Add($"--Cluster:GatewayPort={FreePort()}");
        }

        args.AddRange(_settings.Select(kv => $"--{kv.Key}={kv.Value}"));
        var node = new ClusterNode(name, role, port, ChildProcess.Start(name, "dotnet", args, environment: new Dictionary<string, string?> { ["ASPNETCORE_ENVIRONMENT"] = "Production" }));
        lock (_nodes)
        {
            _nodes.Add(node);
        }

        await WaitReadyAsync(node, TimeSpan.FromSeconds(60));
        return node;
    }

    public async Task WaitReadyAsync(ClusterNode node, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (node.Process.HasExited)
            {
                throw new InvalidOperationException($"{node.Name} exited:\n{node.Process.Tail()}");
            }

            try
            {
                using var response = await _http.GetAsync(node.BaseAddress + "/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{node.Name} not ready within {timeout.TotalSeconds} s:\n{node.Process.Tail()}");
    }

    /// <summary>Posts one batch; a store backend's retry loop: 5xx and refused connections are retried until accepted.</summary>
    public async Task IngestAsync(ClusterNode gateway, string batchJson, TimeSpan? giveUpAfter = null)
    {
        var until = DateTime.UtcNow + (giveUpAfter ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, gateway.BaseAddress + "/v1/events") { Content = new StringContent(batchJson, Encoding.UTF8, "application/json") };
                request.Headers.Add("X-Api-Key", IngestKey);
                using var response = await _http.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                if ((int)response.StatusCode < 500 || DateTime.UtcNow > until)
                {
                    throw new InvalidOperationException($"{gateway.Name}: POST /v1/events {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && DateTime.UtcNow < until)
            {
            }

            await Task.Delay(100);
        }
    }

    /// <summary>GET /v1/carts/{cart}?shopper_id= through a gateway: the cart, null for 404, throws on anything else.</summary>
    public async Task<JsonElement?> GetCartAsync(ClusterNode gateway, string shopper, string cart, TimeSpan? timeout = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{gateway.BaseAddress}/v1/carts/{Uri.EscapeDataString(cart)}?shopper_id={Uri.EscapeDataString(shopper)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await AdminTokenAsync(gateway));
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        using var response = await _http.SendAsync(request, cts.Token);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var body = await response.Content.ReadAsStringAsync(cts.Token);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{gateway.Name}: GET cart {(int)response.StatusCode} {body}");
        }

        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<string> AdminTokenAsync(ClusterNode gateway)
    {
        if (_token is not null)
        {
            return _token;
        }

        var body = JsonSerializer.Serialize(new Dictionary<string, string> { ["username"] = "admin", ["password"] = AdminPassword });
        using var response = await _http.PostAsync(gateway.BaseAddress + "/v1/auth/login", new StringContent(body, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        return _token = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>A visitor token for a fresh anonymous shopper: (shopper id, token).</summary>
    public async Task<(string Shopper, string Token)> VisitorAsync(ClusterNode gateway)
    {
        using var response = await _http.PostAsync(gateway.BaseAddress + "/v1/shopper-token", new StringContent("{}", Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var json = JsonDocument.Parse(text).RootElement;
        return (json.GetProperty("shopper_id").GetString()!, json.GetProperty("token").GetString()!);
    }

    /// <summary>Every stored cart's JSON by key, read from PostgreSQL.</summary>
    public async Task<Dictionary<string, JsonElement>> StoredCartsAsync()
    {
        var carts = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT grain_key, payload::text FROM grain_state WHERE grain_type = 'cart'", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            carts[reader.GetString(0)] = JsonDocument.Parse(reader.GetString(1)).RootElement.Clone();
        }

        return carts;
    }

    private async Task RunToolAsync(string verb)
    {
        var args = new List<string> { SiloDll, verb };
        args.AddRange(_settings.Select(kv => $"--{kv.Key}={kv.Value}"));
        var tool = await ProcessRun.RunAsync("dotnet", args, TimeSpan.FromMinutes(2));
        Assert.True(!tool.TimedOut && tool.ExitCode == 0, $"{verb} failed:\n{tool.Tail(40)}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            _output.WriteLine($"=== {node.Name} ({node.Role}) ===\n{node.Process.Tail(15)}");
            await node.Process.DisposeAsync();
        }

        _http.Dispose();
        NpgsqlConnection.ClearAllPools();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
