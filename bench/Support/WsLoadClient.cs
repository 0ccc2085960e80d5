using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace CartRecovery.Bench.Support;

/// <summary>
/// The load client of the SignalR scenario, run in a child process (10,000 client sockets and
/// 10,000 server sockets do not fit one process's file limit, and the server's memory is measured
/// without the client in it). Opens N WebSockets, either speaking the SignalR JSON hub protocol
/// (handshake, record separator 0x1E, pings type 6, invocations type 1) or plain frames, and records
/// for every message the delay since the timestamp (Stopwatch ticks, CLOCK_MONOTONIC, the same in
/// both processes) that the sender put in its <c>"message"</c> field.
/// Talks to the parent over stdin/stdout: with <c>--first N</c> prints <c>FIRST n</c> after N connections
/// and waits for <c>CONTINUE</c>; prints <c>CONNECTED ok failed seconds</c>; on
/// <c>REPORT</c> prints <c>REPORT {json}</c>; on <c>CLOSE</c> closes everything and exits.
/// </summary>
internal static class WsLoadClient
{
    private const byte RecordSeparator = 0x1E;
    private static readonly byte[] Handshake = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");
    private static readonly byte[] Ping = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");
    private static readonly byte[] MessageKey = Encoding.UTF8.GetBytes("\"message\":\"");

    private sealed class Conn(ClientWebSocket socket)
    {
        public ClientWebSocket Socket { get; } = socket;

        public readonly SemaphoreSlim SendLock = new(1, 1);

        public TaskCompletionSource Handshaken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public volatile bool Closed;
    }

    private static readonly double[] Latencies = new double[4_000_000];
    private static long _latencyCount;
    private static long _received;
    private static long _unexpectedClose;
    private static long _otherMessages;

    public static async Task RunAsync(string[] args)
    {
        var mode = BenchOptions.String(args, "--mode") ?? "signalr";
        var url = BenchOptions.String(args, "--url") ?? throw new ArgumentException("--url is required");
        var count = BenchOptions.Int(args, "--count", 10_000);
        var parallel = BenchOptions.Int(args, "--parallel", 64);
        var tokens = BenchOptions.String(args, "--tokens") is { } file ? File.ReadAllLines(file) : null;
        var signalR = mode == "signalr";

        var first = Math.Clamp(BenchOptions.Int(args, "--first", 0), 0, count);
        var conns = new Conn?[count];
        var failed = 0L;
        string? firstError = null;
        var started = Stopwatch.GetTimestamp();

        async Task ConnectRangeAsync(int from, int to)
        {
            await Parallel.ForEachAsync(Enumerable.Range(from, to - from), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, ct) =>
            {
                var socket = new ClientWebSocket();
                socket.Options.KeepAliveInterval = TimeSpan.Zero;
                socket.Options.SetBuffer(4096, 1024);
                var target = signalR ? $"{url}?access_token={Uri.EscapeDataString(tokens![i])}" : $"{url}?id={i}";
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                    await socket.ConnectAsync(new Uri(target), timeout.Token);
                    var conn = new Conn(socket);
                    _ = ReceiveLoopAsync(conn, signalR);
                    if (signalR)
                    {
                        await socket.SendAsync(Handshake, WebSocketMessageType.Text, true, timeout.Token);
                        await conn.Handshaken.Task.WaitAsync(timeout.Token);
                    }
                    else
                    {
                        conn.Handshaken.TrySetResult();
                    }

                    conns[i] = conn;
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, e.GetType().Name + ": " + e.Message, null);
                    socket.Abort();
                    socket.Dispose();
                }
            });
        }

        // Optionally a first tranche, so the parent can measure the marginal memory of the rest.
        if (first > 0)
        {
            await ConnectRangeAsync(0, first);
            Console.Out.WriteLine($"FIRST {conns.Count(c => c is not null)}");
            Console.Out.Flush();
            if (Console.In.ReadLine() != "CONTINUE")
            {
                return;
            }
        }

        await ConnectRangeAsync(first, count);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var ok = conns.Count(c => c is not null);
        Console.Error.WriteLine($"[client] {mode}: {ok} connected, {failed} failed in {seconds:0.0} s{(firstError is null ? "" : "; first error: " + firstError)}");
        Console.Out.WriteLine($"CONNECTED {ok} {failed} {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        Console.Out.Flush();

        // SignalR drops a client that says nothing for 40 s: every connection pings every 10 s.
        using var stopPings = new CancellationTokenSource();
        var pinger = signalR ? PingLoopAsync(conns, stopPings.Token) : Task.CompletedTask;

        while (Console.In.ReadLine() is { } command)
        {
            if (command == "REPORT")
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
                    ["open"] = conns.Count(c => c is { Closed: false } && c.Socket.State == WebSocketState.Open),
                    ["unexpected_close"] = Interlocked.Read(ref _unexpectedClose),
                    ["other_messages"] = Interlocked.Read(ref _otherMessages),
                };
                Console.Out.WriteLine("REPORT " + JsonSerializer.Serialize(report));
                Console.Out.Flush();
            }
            else if (command == "RESET")
            {
                Interlocked.Exchange(ref _latencyCount, 0);
                Interlocked.Exchange(ref _received, 0);
            }
            else if (command == "CLOSE")
            {
                break;
            }
        }

        await stopPings.CancelAsync();
        await pinger;
        foreach (var c in conns)
        {
            if (c is not null)
            {
                c.Closed = true;
                c.Socket.Abort();
                c.Socket.Dispose();
            }
        }

        Console.Out.WriteLine("CLOSED");
        Console.Out.Flush();
    }

    /// <summary>
    /// Keep-alive pings spread evenly over each 10 s cycle (as independent browsers would send them),
    /// not as one burst of 10,000 that would stall this client and the server together.
    /// </summary>
    private static async Task PingLoopAsync(Conn?[] conns, CancellationToken ct)
    {
        const int slices = 200;
        var cycle = TimeSpan.FromSeconds(10);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                for (var slice = 0; slice < slices; slice++)
                {
                    for (var i = slice; i < conns.Length; i += slices)
                    {
                        var c = conns[i];
                        if (c is null || c.Closed || c.Socket.State != WebSocketState.Open)
                        {
                            continue;
                        }

                        await c.SendLock.WaitAsync(ct);
                        try
                        {
                            await c.Socket.SendAsync(Ping, WebSocketMessageType.Text, true, ct);
                        }
                        catch (WebSocketException)
                        {
                        }
                        finally
                        {
                            c.SendLock.Release();
                        }
                    }

                    var due = TimeSpan.FromTicks(cycle.Ticks * (slice + 1) / slices) - Stopwatch.GetElapsedTime(started);
                    await (due > TimeSpan.Zero ? Task.Delay(due, ct) : Task.Yield().AsTask(ct));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task ReceiveLoopAsync(Conn conn, bool signalR)
    {
        var buffer = new byte[4096];
        var pending = new List<byte>();
        var handshaken = !signalR;
        try
        {
            while (true)
            {
                var r = await conn.Socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                var now = Stopwatch.GetTimestamp();
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    if (!conn.Closed)
                    {
                        Interlocked.Increment(ref _unexpectedClose);
                    }

                    conn.Handshaken.TrySetException(new InvalidOperationException("closed by the server during the handshake"));
                    return;
                }

                ReadOnlySpan<byte> data = buffer.AsSpan(0, r.Count);
                if (pending.Count > 0 || !r.EndOfMessage)
                {
                    pending.AddRange(data.ToArray());
                    if (!r.EndOfMessage)
                    {
                        continue;
                    }

                    data = pending.ToArray();
                    pending.Clear();
                }

                if (!signalR)
                {
                    Record(data, now);
                    continue;
                }

                // One frame may hold several records, each ended by 0x1E.
                while (data.Length > 0)
                {
                    var end = data.IndexOf(RecordSeparator);
                    var record = end < 0 ? data : data[..end];
                    data = end < 0 ? default : data[(end + 1)..];
                    if (!handshaken)
                    {
                        handshaken = true;
                        if (record.IndexOf("\"error\""u8) >= 0)
                        {
                            conn.Handshaken.TrySetException(new InvalidOperationException("handshake refused: " + Encoding.UTF8.GetString(record)));
                            return;
                        }

                        conn.Handshaken.TrySetResult();
                        continue;
                    }

                    if (record.IndexOf("\"type\":1,"u8) >= 0 || record.IndexOf("\"type\":1}"u8) >= 0)
                    {
                        Record(record, now);
                    }
                    else if (record.IndexOf("\"type\":7"u8) >= 0)
                    {
                        if (!conn.Closed)
                        {
                            Interlocked.Increment(ref _unexpectedClose);
                        }
                    }
                    else if (record.IndexOf("\"type\":6"u8) < 0)
                    {
                        Interlocked.Increment(ref _otherMessages);
                    }
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            if (!conn.Closed)
            {
                Interlocked.Increment(ref _unexpectedClose);
            }

            conn.Handshaken.TrySetException(e);
        }
    }

    private static void Record(ReadOnlySpan<byte> message, long now)
    {
        Interlocked.Increment(ref _received);
        var at = message.IndexOf(MessageKey);
        if (at < 0)
        {
            return;
        }

        var digits = message[(at + MessageKey.Length)..];
        if (Utf8Parser.TryParse(digits, out long sent, out _))
        {
            var i = Interlocked.Increment(ref _latencyCount) - 1;
            if (i < Latencies.Length)
            {
                Latencies[i] = (now - sent) * 1_000_000.0 / Stopwatch.Frequency;
            }
        }
    }
}

/// <summary>Lets <c>Task.Yield()</c> be used where a Task is expected.</summary>
internal static class YieldExtensions
{
    public static async Task AsTask(this YieldAwaitable yield, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await yield;
    }
}
