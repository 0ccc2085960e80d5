using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace CartRecovery.Bench.Support;

/// <summary>
/// The load client of the signalr scenario, run in a child process (10,000 client sockets and
/// 10,000 server sockets do not fit one process's file limit, and the server's memory is measured
/// without the client in it). Opens N connections: <c>--mode signalr</c> with the real SignalR .NET
/// client (WebSockets, one <c>nudge</c> handler each), <c>--mode raw</c> as plain WebSockets for the
/// baseline. For every message it records the delay since the Stopwatch timestamp (CLOCK_MONOTONIC,
/// the same in both processes) the sender put in its <c>message</c> field.
/// Talks to the parent over stdin/stdout: with <c>--first N</c> prints <c>FIRST n</c> after N
/// connections and waits for <c>CONTINUE</c>; prints <c>CONNECTED ok failed seconds</c>; on
/// <c>RESET</c> forgets the latencies so far; on <c>REPORT</c> prints <c>REPORT {json}</c>; on
/// <c>CLOSE</c> closes everything, prints <c>CLOSED</c> and exits.
/// </summary>
internal static class SignalRLoadClient
{
    private static readonly byte[] MessageKey = "\"message\":\""u8.ToArray();
    private static readonly double[] Latencies = new double[4_000_000];
    private static long _latencyCount;
    private static long _received;
    private static long _unexpectedClose;
    private static volatile bool _closing;

    public static async Task RunAsync(string[] args)
    {
        var mode = BenchOptions.String(args, "--mode") ?? "signalr";
        var url = BenchOptions.String(args, "--url") ?? throw new ArgumentException("--url is required");
        var count = BenchOptions.Int(args, "--count", 10_000);
        var parallel = BenchOptions.Int(args, "--parallel", 64);
        var tokens = BenchOptions.String(args, "--tokens") is { } file ? File.ReadAllLines(file) : null;
        var first = Math.Clamp(BenchOptions.Int(args, "--first", 0), 0, count);
        var hubs = new HubConnection?[count];
        var sockets = new ClientWebSocket?[count];
        long failed = 0;
        string? firstError = null;
        var started = Stopwatch.GetTimestamp();

        async Task ConnectRangeAsync(int from, int to) =>
            await Parallel.ForEachAsync(Enumerable.Range(from, to - from), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, _) =>
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                try
                {
                    if (mode == "signalr")
                    {
                        hubs[i] = await ConnectHubAsync(url, tokens![i], timeout.Token);
                    }
                    else
                    {
                        sockets[i] = await ConnectRawAsync($"{url}?id={i}", timeout.Token);
                    }
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, e.GetType().Name + ": " + e.Message, null);
                }
            });

        int Open() => mode == "signalr"
            ? hubs.Count(h => h?.State == HubConnectionState.Connected)
            : sockets.Count(s => s?.State == WebSocketState.Open);

        if (first > 0)
        {
            await ConnectRangeAsync(0, first);
            Console.Out.WriteLine($"FIRST {Open()}");
            Console.Out.Flush();
            if (Console.In.ReadLine() != "CONTINUE")
            {
                return;
            }
        }

        await ConnectRangeAsync(first, count);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var ok = Open();
        Console.Error.WriteLine($"[client] {mode}: {ok} connected, {failed} failed in {seconds:0.0} s{(firstError is null ? "" : "; first error: " + firstError)}");
        Console.Out.WriteLine($"CONNECTED {ok} {failed} {seconds.ToString(CultureInfo.InvariantCulture)}");
        Console.Out.Flush();

        while (Console.In.ReadLine() is { } command && command != "CLOSE")
        {
            if (command == "RESET")
            {
                Interlocked.Exchange(ref _latencyCount, 0);
                Interlocked.Exchange(ref _received, 0);
            }
            else if (command == "REPORT")
            {
                var n = (int)Math.Min(Interlocked.Read(ref _latencyCount), Latencies.Length);
                var sorted = Latencies.AsSpan(0, n).ToArray();
                Array.Sort(sorted);
                var report = new Dictionary<string, double>
                {
                    ["received"] = Interlocked.Read(ref _received),
                    ["timed"] = n,
                    ["p50_us"] = LatencyLog.Rank(sorted, 50),
                    ["p99_us"] = LatencyLog.Rank(sorted, 99),
                    ["p999_us"] = LatencyLog.Rank(sorted, 99.9),
                    ["max_us"] = n > 0 ? sorted[^1] : double.NaN,
                    ["open"] = Open(),
                    ["unexpected_close"] = Interlocked.Read(ref _unexpectedClose),
                };
                Console.Out.WriteLine("REPORT " + JsonSerializer.Serialize(report));
                Console.Out.Flush();
            }
        }

        _closing = true;
        foreach (var s in sockets)
        {
            s?.Abort();
            s?.Dispose();
        }

        await Parallel.ForEachAsync(hubs.Where(h => h is not null), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (h, _) => await h!.DisposeAsync());
        Console.Out.WriteLine("CLOSED");
        Console.Out.Flush();
    }

    private static async Task<HubConnection> ConnectHubAsync(string url, string token, CancellationToken ct)
    {
        var hub = new HubConnectionBuilder()
            .WithUrl(url, o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .Build();
        hub.On<JsonElement>("nudge", nudge =>
        {
            var now = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref _received);
            if (nudge.TryGetProperty("message", out var m) && long.TryParse(m.GetString(), CultureInfo.InvariantCulture, out var sent))
            {
                Add(now, sent);
            }
        });
        hub.Closed += _ =>
        {
            if (!_closing)
            {
                Interlocked.Increment(ref _unexpectedClose);
            }

            return Task.CompletedTask;
        };
        try
        {
            await hub.StartAsync(ct);
            return hub;
        }
        catch
        {
            await hub.DisposeAsync();
            throw;
        }
    }

    private static async Task<ClientWebSocket> ConnectRawAsync(string url, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.Options.SetBuffer(4096, 1024);
        try
        {
            await socket.ConnectAsync(new Uri(url), ct);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _ = ReceiveRawAsync(socket);
        return socket;
    }

    /// <summary>Raw frames carry one JSON hub-style invocation each; only the timestamp is read.</summary>
    private static async Task ReceiveRawAsync(ClientWebSocket socket)
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var r = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                var now = Stopwatch.GetTimestamp();
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                Interlocked.Increment(ref _received);
                var data = buffer.AsSpan(0, r.Count);
                var at = data.IndexOf(MessageKey);
                if (at >= 0 && Utf8Parser.TryParse(data[(at + MessageKey.Length)..], out long sent, out _))
                {
                    Add(now, sent);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
        }

        if (!_closing)
        {
            Interlocked.Increment(ref _unexpectedClose);
        }
    }

    private static void Add(long now, long sent)
    {
        var i = Interlocked.Increment(ref _latencyCount) - 1;
        if (i < Latencies.Length)
        {
            Latencies[i] = (now - sent) * 1_000_000.0 / Stopwatch.Frequency;
        }
    }
}
