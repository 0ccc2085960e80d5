using CartRecovery.TestSupport;
using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text;
using System.Text.Json;
using CartRecovery.Bench.Infrastructure;
using CartRecovery.Bench.Support;
using CartRecovery.Gateway.Auth;
using CartRecovery.Gateway.Metrics;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Nudges;
using CartRecovery.Silo;
using Microsoft.Extensions.DependencyInjection;

namespace CartRecovery.Bench.Scenarios;

/// <summary>
/// Real-time nudges over SignalR: 10,000 concurrent shopper connections to the silo's hub
/// (/hubs/shopper, JSON hub protocol over WebSockets, shopper tokens), server memory per connection,
/// then nudges published at 1,000/s to random connected shoppers through the product's
/// <see cref="IOnSiteNudgePublisher"/>, with delivery latency measured at the client (the send time,
/// a monotonic Stopwatch timestamp, travels in the nudge's <c>message</c>). The load client is this
/// binary in a child process (<see cref="SignalRLoadClient"/>, the real SignalR .NET client; plain
/// WebSockets for the baseline): one process cannot hold 20,000 sockets under
/// the 20,000-file limit, and the server's memory is then measured without the client in it.
/// Baseline in the same run: a bare Kestrel WebSocket endpoint (<see cref="RawWebSocketServer"/>) with
/// the same connection count, the same payload bytes and the same rate. Both share the 2 cores with the client.
/// Memory per connection is the marginal cost: the client connects a first tenth, the server's memory
/// is taken, then the rest connect and it is taken again; (after − first) / added, after forced full
/// GCs, as managed heap (GC.GetTotalMemory) and as process working set; the goal is judged on the
/// larger. All-in figures ((after − before) / connections, one-time costs included) are reported too.
/// The server side of a hub connection includes the shopper grain it activates (OnConnectedAsync).
/// The server runs with the GC setting the Helm chart gives gateway pods (<see cref="ChartGc.Gateway"/>;
/// the scenario restarts itself with it when it is not set), since gateways hold the connections.
/// Goals: 10,000 connections held, under 30 KB per connection, delivery p99 under 50 ms.
/// Options: --connections N (10000), --rate N per s (1000), --seconds S (15), --parallel N connects (64),
/// --hold S (keep each phase's connections open S seconds after the memory figures, to inspect the server).
/// </summary>
public sealed class SignalRBench : IScenario
{
    public string Name => "signalr";

    public string Description => "10k SignalR connections: memory per connection, nudge delivery p50/p99 vs raw WebSockets";

    public async Task<BenchResult> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (BenchOptions.Flag(args, "--client"))
        {
            await SignalRLoadClient.RunAsync(args);
            Console.Out.Flush();
            Environment.Exit(0);
        }

        // Connections are held by gateways: measure the process with the GC setting the chart gives them.
        if (!ChartGc.Gateway.Applied)
        {
            Environment.Exit(await ChartGc.Gateway.RunAsChildAsync(["signalr", .. args]));
        }

        var connections = BenchOptions.Int(args, "--connections", 10_000);
        var rate = BenchOptions.Int(args, "--rate", 1000);
        var seconds = BenchOptions.Double(args, "--seconds", 15);
        var parallel = BenchOptions.Int(args, "--parallel", 64);
        var hold = BenchOptions.Double(args, "--hold", 0);
        var details = new Dictionary<string, double> { ["load_average_before"] = MachineLoad.Check(Name) };
        var (soft, hard) = FileLimit();
        BenchLog.Info($"signalr bench: {connections:N0} connections, nudges at {rate}/s for {seconds:0} s; open-file limit {soft}/{hard} per process (client runs in a child process)");
        details["fd_limit"] = soft;

        // Baseline: raw WebSockets.
        Phase raw;
        await using (var server = await RawWebSocketServer.StartAsync())
        {
            var wsUrl = server.BaseAddress.Replace("http://", "ws://") + "/ws";
            raw = await RunPhaseAsync("raw", wsUrl, null, connections, parallel, rate, seconds, hold, () => server.Count, async (i, stamp, ct) =>
            {
                var payload = Encoding.UTF8.GetBytes("{\"type\":1,\"target\":\"nudge\",\"arguments\":[" +
                    JsonSerializer.Serialize(Nudge(i, stamp), GrainsJsonContext.Default.NudgeMessage) + "]}\u001e");
                await server.SendAsync(i, payload, ct);
            }, cancellationToken);
        }

        Collect();
        await Task.Delay(1000, cancellationToken);

        // The product: the silo's shopper hub.
        using var db = new TempSqliteFile("cr-bench-signalr-");
        var app = await ProductApp.StartAsync(db.ConnectionString);
        Phase hub;
        try
        {
            var tokens = app.Services.GetRequiredService<TokenService>();
            var tokenFile = Path.Combine(Path.GetTempPath(), $"cr-bench-tokens-{Guid.NewGuid():N}.txt");
            await File.WriteAllLinesAsync(tokenFile, Enumerable.Range(0, connections).Select(i => tokens.IssueShopper(ShopperId(i)).Token), cancellationToken);
            try
            {
                var publisher = app.Services.GetRequiredService<IOnSiteNudgePublisher>();
                var gateway = app.Services.GetRequiredService<GatewayMetrics>();
                var hubUrl = SiloApp.BaseAddress(app).Replace("http://", "ws://") + "/hubs/shopper";
                hub = await RunPhaseAsync("signalr", hubUrl, tokenFile, connections, parallel, rate, seconds, hold, () => (int)gateway.ShopperConnections,
                    (i, stamp, ct) => publisher.PublishAsync(Nudge(i, stamp), ct), cancellationToken);
            }
            finally
            {
                File.Delete(tokenFile);
            }
        }
        finally
        {
            await ProductApp.StopAsync(app);
        }

        var perConnection = Math.Max(hub.HeapBytesPerConnection, hub.WorkingSetBytesPerConnection);
        var held = Math.Min(hub.ServerConnections, (int)hub.Client["open"]);
        var met = held >= 10_000 && perConnection < 30 * 1024 && hub.Client["p99_us"] < 50_000 && hub.Client["timed"] > 0;
        foreach (var (p, phase) in new[] { ("", hub), ("raw_", raw) })
        {
            details[p + "connections_held"] = Math.Min(phase.ServerConnections, (int)phase.Client["open"]);
            details[p + "connect_failures"] = phase.ConnectFailures;
            details[p + "connect_seconds"] = Math.Round(phase.ConnectSeconds, 1);
            details[p + "heap_bytes_per_connection"] = Math.Round(phase.HeapBytesPerConnection);
            details[p + "working_set_bytes_per_connection"] = Math.Round(phase.WorkingSetBytesPerConnection);
            details[p + "all_in_heap_bytes_per_connection"] = Math.Round(phase.AllInHeapBytesPerConnection);
            details[p + "all_in_working_set_bytes_per_connection"] = Math.Round(phase.AllInWorkingSetBytesPerConnection);
            details[p + "p50_ms"] = Math.Round(phase.Client["p50_us"] / 1000, 3);
            details[p + "p99_ms"] = Math.Round(phase.Client["p99_us"] / 1000, 3);
            details[p + "p999_ms"] = Math.Round(phase.Client["p999_us"] / 1000, 3);
            details[p + "max_ms"] = Math.Round(phase.Client["max_us"] / 1000, 3);
            details[p + "published"] = phase.Published;
            details[p + "publish_rate"] = Math.Round(phase.Published / phase.PublishSeconds, 1);
            details[p + "delivered"] = phase.Client["received"];
            details[p + "unexpected_closes"] = phase.Client["unexpected_close"];
            details[p + "server_cpu_cores_while_publishing"] = Math.Round(phase.CpuCores, 2);
            details[p + "gc_pause_ms_while_publishing"] = Math.Round(phase.GcPauseMs, 1);
        }

        details["load_average_after"] = MachineLoad.OneMinute();
        var value = hub.Client["p99_us"] / 1000;
        var baseline = raw.Client["p99_us"] / 1000;
        BenchLog.Info($"signalr: {held:N0} connections held, {perConnection / 1024:0.0} KB/connection (raw {Math.Max(raw.HeapBytesPerConnection, raw.WorkingSetBytesPerConnection) / 1024:0.0} KB), " +
            $"delivery p50 {hub.Client["p50_us"] / 1000:0.00} ms p99 {value:0.00} ms (raw p50 {raw.Client["p50_us"] / 1000:0.00} ms p99 {baseline:0.00} ms); goal {(met ? "met" : "MISSED")}");
        return new BenchResult(Name, Math.Round(value, 3), "ms (delivery p99)", Math.Round(baseline, 3), Math.Round(value / baseline, 3),
            "10000 connections held, < 30 KB per connection, nudge delivery p99 < 50 ms at 1000/s", met)
        {
            BaselineName = "raw WebSocket fan-out (bare Kestrel, same connections, payload and rate)",
            Details = details,
        }.Finite();
    }

    private static string ShopperId(int i) => "b" + i.ToString(CultureInfo.InvariantCulture);

    private static NudgeMessage Nudge(int i, long stamp) => new()
    {
        NudgeId = $"{ShopperId(i)}/c-bench:onsite-{stamp}",
        ShopperId = ShopperId(i),
        CartId = "c-bench",
        Channel = NudgeChannels.OnSite,
        Variant = "reminder",
        Title = "Still thinking it over?",
        Message = stamp.ToString(CultureInfo.InvariantCulture),
        CartValue = 129.9,
        Currency = "USD",
        Lines = [new CartLine { Sku = "1004767", Name = "samsung 1004767", Price = 129.9, Quantity = 1 }],
        CreatedAt = DateTimeOffset.UtcNow,
    };

    private sealed record Phase(int ServerConnections, long ConnectFailures, double ConnectSeconds, double HeapBytesPerConnection, double WorkingSetBytesPerConnection,
        double AllInHeapBytesPerConnection, double AllInWorkingSetBytesPerConnection, long Published, double PublishSeconds, double CpuCores, double GcPauseMs, Dictionary<string, double> Client);

    private static async Task<Phase> RunPhaseAsync(string mode, string url, string? tokenFile, int connections, int parallel, int rate, double seconds, double hold,
        Func<int> serverCount, Func<int, long, CancellationToken, Task> send, CancellationToken ct)
    {
        var (heapBefore, wsBefore) = Memory();
        var first = Math.Max(1, connections / 10);
        var args = new List<string> { "signalr", "--client", "--mode", mode, "--url", url, "--count", connections.ToString(CultureInfo.InvariantCulture),
            "--parallel", parallel.ToString(CultureInfo.InvariantCulture), "--first", first.ToString(CultureInfo.InvariantCulture) };
        if (tokenFile is not null)
        {
            args.AddRange(["--tokens", tokenFile]);
        }

        await using var client = BenchChild.Start("signalr-client", args);
        await client.WaitForAsync("FIRST", TimeSpan.FromMinutes(3), ct);
        await Task.Delay(1000, ct);
        var (heapFirst, wsFirst) = Memory();
        var onServerFirst = serverCount();
        await client.SendLineAsync("CONTINUE");
        var connected = (await client.WaitForAsync("CONNECTED", TimeSpan.FromMinutes(3), ct)).Split(' ');
        var ok = int.Parse(connected[0], CultureInfo.InvariantCulture);
        var failed = long.Parse(connected[1], CultureInfo.InvariantCulture);
        var connectSeconds = double.Parse(connected[2], CultureInfo.InvariantCulture);
        await Task.Delay(2000, ct);
        var (heapAfter, wsAfter) = Memory();
        var onServer = serverCount();

        // Marginal cost of the connections after the first tranche (one-time costs such as JIT and pools excluded).
        var added = Math.Max(1, onServer - onServerFirst);
        var heapPer = (heapAfter - heapFirst) / (double)added;
        var wsPer = (wsAfter - wsFirst) / (double)added;
        BenchLog.Info($"{mode}: {ok:N0} connected ({failed} failed) in {connectSeconds:0.0} s, {onServer:N0} on the server; memory per connection (marginal, last {added:N0}): heap {heapPer / 1024:0.0} KB, working set {wsPer / 1024:0.0} KB; " +
            $"all-in (total / connections): heap {(heapAfter - heapBefore) / 1024.0 / Math.Max(1, onServer):0.0} KB, working set {(wsAfter - wsBefore) / 1024.0 / Math.Max(1, onServer):0.0} KB " +
            $"(heap {heapBefore / 1e6:0} -> {heapFirst / 1e6:0} -> {heapAfter / 1e6:0} MB, working set {wsBefore / 1e6:0} -> {wsFirst / 1e6:0} -> {wsAfter / 1e6:0} MB)");

        if (hold > 0)
        {
            BenchLog.Info($"{mode}: holding the connections {hold:0} s for inspection (server pid {Environment.ProcessId})");
            await Task.Delay(TimeSpan.FromSeconds(hold), ct);
        }

        // Warm-up at the same rate (JIT, pools), then the measured period.
        await PublishAsync(send, ok, rate, 2, ct);
        await Task.Delay(500, ct);
        await client.SendLineAsync("RESET");
        var cpu = ProcessSample.Now();
        var (published, publishSeconds) = await PublishAsync(send, ok, rate, seconds, ct);
        var cpuEnd = ProcessSample.Now();
        var cores = cpuEnd.CoresSince(cpu);
        var gcPauseMs = cpuEnd.GcPauseMs - cpu.GcPauseMs;
        var gcs = $"gen0 {cpuEnd.Gen0 - cpu.Gen0}, gen1 {cpuEnd.Gen1 - cpu.Gen1}, gen2 {cpuEnd.Gen2 - cpu.Gen2}";
        var lastPause = GC.GetGCMemoryInfo(GCKind.Any).PauseDurations.ToArray().Max().TotalMilliseconds;
        await Task.Delay(1000, ct);
        await client.SendLineAsync("REPORT");
        var report = JsonSerializer.Deserialize<Dictionary<string, double>>(await client.WaitForAsync("REPORT", TimeSpan.FromSeconds(30), ct))!;
        var stillOnServer = serverCount();
        BenchLog.Info($"{mode}: published {published:N0} in {publishSeconds:0.0} s ({published / publishSeconds:0}/s), delivered {report["received"]:N0}; latency p50 {report["p50_us"] / 1000:0.00} ms, p99 {report["p99_us"] / 1000:0.00} ms, " +
            $"p99.9 {report["p999_us"] / 1000:0.00} ms, max {report["max_us"] / 1000:0.00} ms; open at the client {report["open"]:N0}, on the server {stillOnServer:N0}, unexpected closes {report["unexpected_close"]}; server process CPU {cores:0.00} cores; " +
            $"GC while publishing: {gcPauseMs:0} ms paused ({gcs}; last GC paused {lastPause:0.0} ms; server GC {System.Runtime.GCSettings.IsServerGC}, concurrent {GCSettings.LatencyMode != GCLatencyMode.Batch})");
        await client.SendLineAsync("CLOSE");
        await client.WaitForAsync("CLOSED", TimeSpan.FromSeconds(60), ct);
        return new Phase(Math.Min(onServer, stillOnServer), failed, connectSeconds, heapPer, wsPer,
            (heapAfter - heapBefore) / (double)Math.Max(1, onServer), (wsAfter - wsBefore) / (double)Math.Max(1, onServer), published, publishSeconds, cores, gcPauseMs, report);
    }

    /// <summary>Sends at a steady rate to random connections for a while; each send is stamped just before it is handed over.</summary>
    private static async Task<(long Sent, double Seconds)> PublishAsync(Func<int, long, CancellationToken, Task> send, int connections, int rate, double seconds, CancellationToken ct)
    {
        var random = new Random(11);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
        var started = Stopwatch.GetTimestamp();
        long sent = 0;
        while (await timer.WaitForNextTickAsync(ct))
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (elapsed >= seconds)
            {
                break;
            }

            var due = (long)(elapsed * rate);
            while (sent < due)
            {
                await send(random.Next(connections), Stopwatch.GetTimestamp(), ct);
                sent++;
            }
        }

        return (sent, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private static void Collect()
    {
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
    }

    private static (long Heap, long WorkingSet) Memory()
    {
        Collect();
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        using var p = Process.GetCurrentProcess();
        return (heap, p.WorkingSet64);
    }

    private static (long Soft, long Hard) FileLimit()
    {
        try
        {
            var line = File.ReadAllLines("/proc/self/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var parts = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidOperationException)
        {
            return (-1, -1);
        }
    }
}
