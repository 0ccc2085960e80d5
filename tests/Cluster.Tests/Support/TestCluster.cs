using System.Diagnostics;
using System.Net;
using System.Text.Json;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Json;
using CartRecovery.Kafka.Admin;
using CartRecovery.Kafka.Configuration;
using CartRecovery.TestSupport;
using Npgsql;
using Xunit.Abstractions;

namespace CartRecovery.Cluster.Tests.Support;

/// <summary>A partition's row in the ownership table.</summary>
internal sealed record PartitionOwnership(int Partition, string? Owner, long Epoch, long? Offset);

/// <summary>A durable reminder as stored.</summary>
internal sealed record StoredReminder(string GrainKey, string Name, int Partition, DateTimeOffset DueAt);

/// <summary>
/// A multi-process cluster on one machine: the mock Kafka broker, a PostgreSQL database (a
/// throw-away one on the shared server, or one the test brings), silos and gateways as separate
/// <c>CartRecovery.Silo</c> processes. Everything the tests assert is read from the outside:
/// PostgreSQL tables, Kafka end offsets, the gateway's HTTP API and the processes' logs.
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    public const int Partitions = 16;
    public const string IngestKey = "k";
    public const string SigningKey = "cluster-tests-signing-key-0123456789abcd";
    public const string AdminPassword = "adminadmin123";

    /// <summary>
    /// Short stage thresholds so reminders fire during the test, and no risk floor or quiet hours so
    /// abandoned carts are nudged (when a webhook is configured). Carts expire only after a day: the
    /// replayed log spans about three hours of event time, and a cart expired by wall-clock
    /// reminders would refuse a later purchase that the single-pass reference applies.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Policy = new Dictionary<string, string>
    {
        ["Policy:OnsiteDelaySeconds"] = "2",
        ["Policy:AbandonAfterSeconds"] = "4",
        ["Policy:ExpireAfterHours"] = "24",
        ["Policy:MinCartValue"] = "0",
        ["Policy:RiskThreshold"] = "0",
        ["Policy:QuietHours:StartHour"] = "0",
        ["Policy:QuietHours:EndHour"] = "0",
    };

    private readonly ITestOutputHelper _output;
    private readonly PostgresDatabase? _database;
    private readonly List<ClusterNode> _nodes = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private TestCluster(ITestOutputHelper output, MockKafkaBroker kafka, string connectionString, PostgresDatabase? database)
    {
        _output = output;
        Kafka = kafka;
        ConnectionString = connectionString;
        _database = database;
    }

    public MockKafkaBroker Kafka { get; }

    public string ConnectionString { get; }

    public KafkaOptions KafkaOptions => new() { BootstrapServers = Kafka.BootstrapServers, Partitions = Partitions };

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

    /// <summary>Starts silos (in parallel) and a gateway.</summary>
    public async Task<(List<ClusterNode> Silos, ClusterNode Gateway)> StartSilosAndGatewayAsync(IEnumerable<string> siloIds, params string[] extra)
    {
        var silos = Task.WhenAll(siloIds.Select(id => StartSiloAsync(id, extra)));
        var gateway = StartGatewayAsync();
        return ((await silos).ToList(), await gateway);
    }

    /// <summary>Starts the broker and a database (or uses <paramref name="connectionString"/>) and migrates the schema.</summary>
    public static async Task<TestCluster> StartAsync(ITestOutputHelper output, string? connectionString = null)
    {
        PostgresDatabase? database = null;
        var kafkaTask = MockKafkaBroker.StartAsync(Partitions);
        try
        {
            if (connectionString is null)
            {
                database = new PostgresDatabase();
                await database.InitializeAsync();
                connectionString = database.ConnectionString;
            }

            var kafka = await kafkaTask;
            var cluster = new TestCluster(output, kafka, connectionString, database);
            await cluster.MigrateAsync();
            return cluster;
        }
        catch
        {
            if (kafkaTask.IsCompletedSuccessfully)
            {
                await kafkaTask.Result.DisposeAsync();
            }

            if (database is not null)
            {
                await database.DisposeAsync();
            }

            throw;
        }
    }

    public void Log(string message) => _output.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:0.00}s] {message}");

    private async Task MigrateAsync()
    {
        await using var migrate = ChildProcess.Start("migrate", ClusterPaths.Dotnet,
            [ClusterPaths.SiloDll, "migrate", "--Storage:Provider=Postgres", $"--Storage:ConnectionString={ConnectionString}"]);
        if (!await migrate.WaitForExitAsync(TimeSpan.FromSeconds(60)) || migrate.ExitCode != 0)
        {
            throw new InvalidOperationException("migrate failed\n" + migrate.Tail());
        }
    }

    private IEnumerable<string> CommonArguments() =>
    [
        $"--Kafka:BootstrapServers={Kafka.BootstrapServers}",
        $"--Kafka:Partitions={Partitions}",
        $"--Runtime:Partitions={Partitions}",
        "--Storage:Provider=Postgres",
        $"--Storage:ConnectionString={ConnectionString}",
        "--Kafka:SessionTimeoutMs=6000",
        "--Kafka:HeartbeatIntervalMs=500",
        "--Http:Host=127.0.0.1",
        $"--Auth:IngestKey={IngestKey}",
        $"--Auth:SigningKey={SigningKey}",
        $"--Auth:AdminPassword={AdminPassword}",
        "--environment", "Development",
        "--Limits:EventsPerShopperPerSecond=100000",
        "--Limits:RequestsPerIpPerSecond=1000000",
        "--Logging:LogLevel:Default=Warning",
        .. Policy.Select(kv => $"--{kv.Key}={kv.Value}"),
    ];

    /// <summary>Starts a silo process and waits until it answers /health/ready.</summary>
    public async Task<ClusterNode> StartSiloAsync(string siloId, params string[] extra)
    {
        var port = ClusterPaths.FreePort();
        var internalPort = ClusterPaths.FreePort();
        var process = ChildProcess.Start(siloId, ClusterPaths.Dotnet,
        [
            ClusterPaths.SiloDll, .. CommonArguments(), "--Silo:Role=silo", $"--Runtime:SiloId={siloId}",
            $"--Http:Port={port}", $"--Http:InternalPort={internalPort}", .. extra,
        ]);
        var node = new ClusterNode(siloId, "silo", process, port, internalPort);
        lock (_nodes)
        {
            _nodes.Add(node);
        }

        await WaitReadyAsync(node);
        Log($"started {node}");
        return node;
    }

    public async Task<ClusterNode> StartGatewayAsync(string name = "gateway")
    {
        var port = ClusterPaths.FreePort();
        var process = ChildProcess.Start(name, ClusterPaths.Dotnet, [ClusterPaths.SiloDll, .. CommonArguments(), "--Silo:Role=gateway", $"--Http:Port={port}"]);
        var node = new ClusterNode(name, "gateway", process, port, null);
        lock (_nodes)
        {
            _nodes.Add(node);
        }

        await WaitReadyAsync(node);
        Log($"started {node}");
        return node;
    }

    private static async Task WaitReadyAsync(ClusterNode node)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var deadline = Stopwatch.StartNew();
        string last = "";
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (node.Process.HasExited)
            {
                throw new InvalidOperationException($"{node} exited with {node.Process.ExitCode} before it was ready\n{node.Process.Tail()}");
            }

            try
            {
                using var response = await http.GetAsync(node.Url + "/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{node} not ready within 90 s (last: {last})\n{node.Process.Tail()}");
    }

    /// <summary>
    /// Waits until every partition is owned by one of <paramref name="silos"/> and each of them owns
    /// at least one: the consumer group has settled with exactly these members.
    /// </summary>
    public async Task<IReadOnlyList<PartitionOwnership>> WaitForOwnersAsync(IEnumerable<string> silos, TimeSpan timeout)
    {
        var expected = silos.ToHashSet();
        IReadOnlyList<PartitionOwnership> rows = [];
        var waited = await Poll.UntilAsync(async () =>
        {
            rows = await PartitionsAsync();
            return rows.Count == Partitions
                && rows.All(r => r.Owner is not null && expected.Contains(r.Owner))
                && expected.All(s => rows.Any(r => r.Owner == s));
        }, timeout);
        if (!waited)
        {
            throw new TimeoutException($"partitions not settled on {string.Join(",", expected)} within {timeout.TotalSeconds:0} s: {Describe(rows)}\n{Tails()}");
        }

        return rows;
    }

    public static string Describe(IEnumerable<PartitionOwnership> rows) =>
        string.Join(" ", rows.Select(r => $"{r.Partition}:{r.Owner ?? "-"}@{r.Epoch}/{r.Offset?.ToString() ?? "-"}"));

    public string Tails(int lines = 25) => string.Join("\n", Nodes.Select(n => n.Process.Tail(lines)));

    // ---- reads from the outside -------------------------------------------------------------

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var conn = new NpgsqlConnection(ConnectionString);
        try
        {
            await conn.OpenAsync();
            return conn;
        }
        catch
        {
            await conn.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
            throw;
        }
    }

    public async Task<IReadOnlyList<PartitionOwnership>> PartitionsAsync()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT partition, owner, epoch, event_offset FROM partitions ORDER BY partition", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<PartitionOwnership>();
        while (await reader.ReadAsync())
        {
            rows.Add(new PartitionOwnership(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetInt64(3)));
        }

        return rows;
    }

    /// <summary>Every checkpointed cart, by grain key "shopper/cart".</summary>
    public async Task<Dictionary<string, CartState>> CartsAsync()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT grain_key, payload::text FROM grain_state WHERE grain_type='cart' AND state_name='cart'", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var carts = new Dictionary<string, CartState>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            carts[reader.GetString(0)] = JsonSerializer.Deserialize(reader.GetString(1), GrainsJsonContext.Default.CartState)!;
        }

        return carts;
    }

    /// <summary>Cart keys with the partition their rows were written for.</summary>
    public async Task<Dictionary<string, int>> CartPartitionsAsync()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT grain_key, partition FROM grain_state WHERE grain_type='cart' AND state_name='cart'", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            keys[reader.GetString(0)] = reader.GetInt32(1);
        }

        return keys;
    }

    public async Task<List<StoredReminder>> RemindersAsync(string grainType)
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT grain_key, name, partition, due_at FROM reminders WHERE grain_type=$1", conn);
        cmd.Parameters.AddWithValue(grainType);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<StoredReminder>();
        while (await reader.ReadAsync())
        {
            rows.Add(new StoredReminder(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return rows;
    }

    /// <summary>A silo's connection string that names it in pg_stat_activity.</summary>
    public string ConnectionStringFor(string applicationName) =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { ApplicationName = applicationName }.ConnectionString;

    /// <summary>Server sessions of one application: pid, start of its open transaction (if any), whether that has written (holds an xid), state.</summary>
    public async Task<List<(int Pid, DateTimeOffset? TransactionStart, bool HasXid, string State)>> SessionsAsync(string applicationName)
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT pid, xact_start, backend_xid IS NOT NULL, coalesce(state, '') FROM pg_stat_activity WHERE application_name=$1", conn);
        cmd.Parameters.AddWithValue(applicationName);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<(int, DateTimeOffset?, bool, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1), reader.GetBoolean(2), reader.GetString(3)));
        }

        return rows;
    }

    public async Task TerminateBackendAsync(int pid)
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_terminate_backend($1)", conn);
        cmd.Parameters.AddWithValue(pid);
        await cmd.ExecuteScalarAsync();
    }

    /// <summary>Open transactions and lock waits in this database (for failure messages).</summary>
    public async Task<string> LockReportAsync()
    {
        try
        {
            await using var conn = await OpenAsync();
            await using var cmd = new NpgsqlCommand("""
                SELECT pid, coalesce(application_name, ''), coalesce(state, ''), coalesce(wait_event_type, ''), pg_blocking_pids(pid)::text,
                       coalesce(extract(epoch FROM now() - xact_start)::int::text, '-'), left(regexp_replace(coalesce(query, ''), '\s+', ' ', 'g'), 70)
                FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND (xact_start IS NOT NULL OR wait_event_type = 'Lock')
                """, conn);
            await using var reader = await cmd.ExecuteReaderAsync();
            var lines = new List<string>();
            while (await reader.ReadAsync())
            {
                lines.Add($"pid {reader.GetInt32(0)} app '{reader.GetString(1)}' {reader.GetString(2)}, waits on {reader.GetString(3)}, blocked by {reader.GetString(4)}, transaction open {reader.GetString(5)} s: {reader.GetString(6)}");
            }

            return lines.Count == 0 ? "no open transactions" : string.Join("\n", lines);
        }
        catch (Exception e)
        {
            return "lock report failed: " + e.Message;
        }
    }

    public Task<IReadOnlyDictionary<int, long>> EndOffsetsAsync(string topic = "cart-events") =>
        Task.Run(() => KafkaTopics.GetEndOffsets(KafkaOptions, topic, TimeSpan.FromSeconds(10)));

    /// <summary>
    /// Waits until every record in cart-events is covered by a checkpoint: each partition's
    /// event_offset + 1 equals the topic's end offset.
    /// </summary>
    public async Task WaitCaughtUpAsync(TimeSpan timeout)
    {
        IReadOnlyDictionary<int, long> ends = new Dictionary<int, long>();
        IReadOnlyList<PartitionOwnership> rows = [];
        var ok = await Poll.UntilAsync(async () =>
        {
            ends = await EndOffsetsAsync();
            rows = await PartitionsAsync();
            var byPartition = rows.ToDictionary(r => r.Partition);
            return ends.Count == Partitions && ends.All(kv => kv.Value == 0
                || (byPartition.TryGetValue(kv.Key, out var row) && row.Offset is { } o && o + 1 == kv.Value));
        }, timeout, TimeSpan.FromMilliseconds(500));
        if (!ok)
        {
            throw new TimeoutException(
                $"checkpoints did not reach the end offsets within {timeout.TotalSeconds:0} s\nends: {string.Join(" ", ends.OrderBy(k => k.Key).Select(kv => $"{kv.Key}:{kv.Value}"))}\nrows: {Describe(rows)}\n{Tails()}");
        }

        Log($"caught up: {ends.Values.Sum()} records in cart-events");
    }

    /// <summary>Errors the processes logged, by node, event id and category (a hint when something else looks off).</summary>
    public void LogErrorSummary()
    {
        foreach (var node in Nodes)
        {
            var errors = node.Process.Lines
                .Where(l => l.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal) || l.Contains("\"LogLevel\":\"Critical\"", StringComparison.Ordinal))
                .Select(l => (Id: Field(l, "EventId"), Category: Field(l, "Category")))
                .GroupBy(e => e)
                .Select(g => $"{g.Count()}x {g.Key.Id} {g.Key.Category}")
                .ToList();
            if (errors.Count > 0)
            {
                Log($"{node.Name} logged errors: {string.Join("; ", errors)}");
            }
        }

        static string Field(string line, string name)
        {
            var marker = $"\"{name}\":";
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0)
            {
                return "?";
            }

            at += marker.Length;
            var end = line.IndexOfAny([',', '}'], at);
            return line[at..(end < 0 ? line.Length : end)].Trim('"');
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            LogErrorSummary();
        }
        catch (InvalidOperationException)
        {
            // The test's output is closed.
        }

        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        await Kafka.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
