using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace CartRecovery.Bench.Support;

/// <summary>
/// A minimal SignalR client for <c>/hubs/admin</c>: JSON hub protocol over a raw WebSocket (no
/// negotiate round trip, as the JS client's skipNegotiation), the token in <c>access_token</c>.
/// It counts <c>snapshot</c> invocations, their size and arrival times, and the length of each
/// snapshot's <c>history</c> array. Each message is parsed once (Utf8JsonReader, no DOM); a ping is
/// sent every 10 s so the server's client timeout never fires.
/// </summary>
internal sealed class DashboardHubClient : IAsyncDisposable
{
    private const byte RecordSeparator = 0x1e;
    private static readonly byte[] Handshake = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");
    private static readonly byte[] Ping = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");

    private readonly ClientWebSocket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _stopPings = new();
    private readonly Lock _gate = new();
    private readonly List<long> _arrivals = new();
    private readonly List<int> _sizes = new();
    private readonly TaskCompletionSource _handshake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _reader = Task.CompletedTask;
    private Task _pinger = Task.CompletedTask;
    private bool _handshakeSeen;

    private DashboardHubClient(ClientWebSocket socket) => _socket = socket;

    /// <summary>
    /// When false, snapshots are only counted and sized, not parsed (a burst of pushes then costs the
    /// client next to nothing, so the process CPU measures the server's side).
    /// </summary>
    public bool Inspect { get; set; } = true;

    public int MaxHistory { get; private set; }

    public int LastHistory { get; private set; }

    public long Snapshots
    {
        get
        {
            lock (_gate)
            {
                return _arrivals.Count;
            }
        }
    }

    /// <summary>Set when the server closed the connection or sent something unexpected.</summary>
    public string? Failure { get; private set; }

    public static async Task<DashboardHubClient> ConnectAsync(string baseAddress, string token, CancellationToken cancellationToken)
    {
        var uri = new UriBuilder(baseAddress) { Scheme = "ws", Path = "/hubs/admin", Query = "access_token=" + Uri.EscapeDataString(token) }.Uri;
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(uri, cancellationToken);
        var client = new DashboardHubClient(socket);
        await socket.SendAsync(Handshake, WebSocketMessageType.Text, true, cancellationToken);
        client._reader = Task.Run(client.ReadLoopAsync);
        client._pinger = Task.Run(client.PingLoopAsync);
        await client._handshake.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        return client;
    }

    /// <summary>Snapshots that arrived in [from, to) (Stopwatch timestamps).</summary>
    public int CountBetween(long from, long to)
    {
        lock (_gate)
        {
            return _arrivals.Count(t => t >= from && t < to);
        }
    }

    public int[] Sizes()
    {
        lock (_gate)
        {
            return [.. _sizes];
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var memory = buffer.GetMemory(16 * 1024);
                var received = await _socket.ReceiveAsync(memory, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    Failure ??= $"server closed: {_socket.CloseStatus} {_socket.CloseStatusDescription}";
                    break;
                }

                buffer.Advance(received.Count);
                var data = buffer.WrittenMemory;
                var consumed = 0;
                int end;
                while ((end = data.Span[consumed..].IndexOf(RecordSeparator)) >= 0)
                {
                    OnRecord(data.Span.Slice(consumed, end));
                    consumed += end + 1;
                }

                if (consumed > 0)
                {
                    var rest = data[consumed..].ToArray();
                    buffer.Clear();
                    buffer.Write(rest);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is WebSocketException or IOException)
        {
            Failure ??= "connection lost: " + e.Message;
        }
        finally
        {
            _handshake.TrySetException(new InvalidOperationException(Failure ?? "connection closed before the handshake"));
        }
    }

    private void OnRecord(ReadOnlySpan<byte> json)
    {
        if (!_handshakeSeen)
        {
            _handshakeSeen = true;
            if (json.IndexOf("\"error\""u8) >= 0)
            {
                Failure = "handshake refused: " + Encoding.UTF8.GetString(json);
                _handshake.TrySetException(new InvalidOperationException(Failure));
            }
            else
            {
                _handshake.TrySetResult();
            }

            return;
        }

        var now = Stopwatch.GetTimestamp();
        if (!Inspect)
        {
            if (json.IndexOf("\"target\":\"snapshot\""u8) >= 0)
            {
                lock (_gate)
                {
                    _arrivals.Add(now);
                    _sizes.Add(json.Length);
                }
            }

            return;
        }

        var (type, target, history) = Parse(json);
        if (type == 7)
        {
            Failure ??= "server sent close: " + Encoding.UTF8.GetString(json);
        }
        else if (type == 1 && target == "snapshot")
        {
            lock (_gate)
            {
                _arrivals.Add(now);
                _sizes.Add(json.Length);
            }

            LastHistory = history;
            MaxHistory = Math.Max(MaxHistory, history);
        }
    }

    /// <summary>Message type, invocation target, and the element count of arguments[0].history.</summary>
    private static (int Type, string? Target, int History) Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        int type = -1, history = -1;
        string? target = null;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("target"u8))
            {
                reader.Read();
                target = reader.GetString();
            }
            else if (reader.ValueTextEquals("arguments"u8))
            {
                reader.Read(); // [
                reader.Read(); // { of the snapshot
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    var depth = reader.CurrentDepth;
                    while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
                    {
                        if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals("history"u8))
                        {
                            reader.Read();
                            history = CountArray(ref reader);
                        }
                        else if (reader.TokenType == JsonTokenType.PropertyName)
                        {
                            reader.Read();
                            reader.Skip();
                        }
                    }
                }

                reader.Read(); // ]
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return (type, target, history);
    }

    private static int CountArray(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return -1;
        }

        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            count++;
            reader.Skip();
        }

        return count;
    }

    private async Task PingLoopAsync()
    {
        try
        {
            while (!_stopPings.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), _stopPings.Token);
                await _socket.SendAsync(Ping, WebSocketMessageType.Text, true, _stopPings.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Pings stop first (one sender at a time); the close frame then ends the server's side, and the
        // reader sees the server's close frame and returns. Cancelling a receive aborts the socket, so
        // that is only the fallback.
        await _stopPings.CancelAsync();
        await _pinger.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
            }

            await _reader.WaitAsync(timeout.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or WebSocketException or IOException)
        {
        }

        await _stop.CancelAsync();
        await _reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _socket.Dispose();
        _stop.Dispose();
        _stopPings.Dispose();
    }
}
