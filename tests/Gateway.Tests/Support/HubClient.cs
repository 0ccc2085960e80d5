using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace CartRecovery.Gateway.Tests.Support;

/// <summary>A server-to-client invocation (type 1), e.g. <c>nudge</c>.</summary>
public sealed record HubInvocation(string Target, JsonElement Arguments);

/// <summary>How a connection ended: the close message's error (type 7) and/or the WebSocket close status.</summary>
public sealed record HubClosed(string? Error, bool CloseMessage, WebSocketCloseStatus? Status, string? Detail);

/// <summary>The server refused the WebSocket upgrade (401, 403, ...).</summary>
public sealed class HubConnectException(int status, Exception inner)
    : Exception($"hub connection refused with HTTP {status}", inner)
{
    public int Status { get; } = status;
}

/// <summary>The server completed an invocation with an error.</summary>
public sealed class HubInvocationException(string error) : Exception(error);

/// <summary>The connection ended before the invocation completed.</summary>
public sealed class HubConnectionClosedException(string message) : Exception(message);

/// <summary>
/// A minimal SignalR client speaking the JSON hub protocol (version 1) over a raw WebSocket, for
/// tests (the .NET SignalR client package is not available). Frames end with 0x1E; handled message
/// types are 1 (invocation), 3 (completion), 6 (ping) and 7 (close).
/// </summary>
public sealed class HubClient : IAsyncDisposable
{
    private const byte RecordSeparator = 0x1e;
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly Channel<HubInvocation> _invocations = Channel.CreateUnbounded<HubInvocation>();
    private readonly TaskCompletionSource<HubClosed> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private byte[] _data = new byte[16 * 1024];
    private int _start;
    private int _end;
    private int _nextId;
    private volatile bool _done;
    private int _disposed;
    private Task _receiveLoop = Task.CompletedTask;
    private Task _pingLoop = Task.CompletedTask;

    private HubClient(ClientWebSocket socket) => _socket = socket;

    /// <summary>Invocations the server sent, in order of arrival.</summary>
    public ChannelReader<HubInvocation> Invocations => _invocations.Reader;

    /// <summary>Completes when the connection has ended, for whatever reason.</summary>
    public Task<HubClosed> Closed => _closed.Task;

    public bool IsOpen => !_done && _socket.State == WebSocketState.Open;

    /// <summary>
    /// Connects straight over WebSockets (no negotiate), sends the handshake and waits for its
    /// answer. A refused upgrade raises <see cref="HubConnectException"/> with the HTTP status.
    /// </summary>
    public static async Task<HubClient> ConnectAsync(string baseAddress, string path, string? token, CancellationToken cancellationToken = default, IDictionary<string, string>? headers = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            socket.Options.SetRequestHeader(name, value);
        }

        var http = new Uri(baseAddress);
        var uri = new UriBuilder(http)
        {
            Scheme = http.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
            Path = path,
            Query = token is null ? "" : "access_token=" + Uri.EscapeDataString(token),
        }.Uri;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DefaultTimeout);
        try
        {
            await socket.ConnectAsync(uri, timeout.Token);
        }
        catch (WebSocketException e)
        {
            var status = (int)socket.HttpStatusCode;
            socket.Dispose();
            throw new HubConnectException(status, e);
        }

        var client = new HubClient(socket);
        try
        {
            await client.HandshakeAsync(timeout.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        client._receiveLoop = Task.Run(client.ReceiveLoopAsync);
        client._pingLoop = Task.Run(client.PingLoopAsync);
        return client;
    }

    private async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        await SendFrameAsync(Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}"), cancellationToken);
        var answer = await ReadMessageAsync(cancellationToken)
            ?? throw new HubConnectionClosedException("the server closed the connection during the handshake");
        using var doc = JsonDocument.Parse(answer);
        if (doc.RootElement.TryGetProperty("error", out var error))
        {
            throw new HubConnectionClosedException("handshake refused: " + error.GetString());
        }
    }

    /// <summary>Invokes a hub method and waits for its completion; a server error raises <see cref="HubInvocationException"/>.</summary>
    public async Task<JsonElement> InvokeAsync(string target, params object?[] arguments) =>
        await await StartInvocationAsync(target, arguments);

    /// <summary>
    /// Sends an invocation and returns once it is on the wire; the returned task completes with the
    /// server's completion. Lets a test pipeline many invocations.
    /// </summary>
    public async Task<Task<JsonElement>> StartInvocationAsync(string target, params object?[] arguments)
    {
        var id = Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        var completion = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        if (_done && _pending.TryRemove(id, out _))
        {
            completion.TrySetException(new HubConnectionClosedException("the connection is closed"));
            return completion.Task;
        }

        var args = new JsonArray();
        foreach (var argument in arguments)
        {
            args.Add(argument is null ? null : JsonSerializer.SerializeToNode(argument));
        }

        var message = new JsonObject { ["type"] = 1, ["invocationId"] = id, ["target"] = target, ["arguments"] = args };
        try
        {
            await SendFrameAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), CancellationToken.None);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            _pending.TryRemove(id, out _);
            completion.TrySetException(new HubConnectionClosedException("sending failed: " + e.Message));
        }

        return completion.Task.WaitAsync(DefaultTimeout);
    }

    /// <summary>The next server invocation, or a TimeoutException when none arrives in time.</summary>
    public async Task<HubInvocation> NextInvocationAsync(TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? DefaultTimeout);
        try
        {
            return await _invocations.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no hub invocation within {(within ?? DefaultTimeout).TotalSeconds:0.#} s");
        }
    }

    /// <summary>Invocations received so far and not yet read.</summary>
    public List<HubInvocation> DrainInvocations()
    {
        var list = new List<HubInvocation>();
        while (_invocations.Reader.TryRead(out var item))
        {
            list.Add(item);
        }

        return list;
    }

    /// <summary>Waits for the connection to end, or raises TimeoutException.</summary>
    public Task<HubClosed> WaitClosedAsync(TimeSpan? within = null) => _closed.Task.WaitAsync(within ?? DefaultTimeout);

    private async Task SendFrameAsync(byte[] json, CancellationToken cancellationToken)
    {
        var frame = new byte[json.Length + 1];
        json.CopyTo(frame, 0);
        frame[^1] = RecordSeparator;
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The next 0x1E-terminated message, or null when the server closed the WebSocket.</summary>
    private async Task<byte[]?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var separator = Array.IndexOf(_data, RecordSeparator, _start, _end - _start);
            if (separator >= 0)
            {
                var message = _data.AsSpan(_start, separator - _start).ToArray();
                _start = separator + 1;
                return message;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_data, _start, _data, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _data.Length)
            {
                Array.Resize(ref _data, _data.Length * 2);
            }

            var result = await _socket.ReceiveAsync(_data.AsMemory(_end), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            _end += result.Count;
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var closed = new HubClosed(null, false, null, null);
        try
        {
            while (true)
            {
                var message = await ReadMessageAsync(_stop.Token);
                if (message is null)
                {
                    closed = new HubClosed(null, false, _socket.CloseStatus, _socket.CloseStatusDescription);
                    break;
                }

                using var doc = JsonDocument.Parse(message);
                var root = doc.RootElement;
                var type = root.GetProperty("type").GetInt32();
                if (type == 1)
                {
                    var target = root.GetProperty("target").GetString()!;
                    var args = root.TryGetProperty("arguments", out var a) ? a.Clone() : default;
                    _invocations.Writer.TryWrite(new HubInvocation(target, args));
                }
                else if (type == 3)
                {
                    var id = root.GetProperty("invocationId").GetString()!;
                    if (_pending.TryRemove(id, out var completion))
                    {
                        if (root.TryGetProperty("error", out var error))
                        {
                            completion.TrySetException(new HubInvocationException(error.GetString() ?? ""));
                        }
                        else
                        {
                            completion.TrySetResult(root.TryGetProperty("result", out var result) ? result.Clone() : default);
                        }
                    }
                }
                else if (type == 7)
                {
                    var error = root.TryGetProperty("error", out var e) ? e.GetString() : null;
                    closed = new HubClosed(error, true, null, null);
                    break;
                }

                // 6 (ping) and anything else: nothing to do.
            }
        }
        catch (OperationCanceledException)
        {
            closed = new HubClosed(null, false, null, "closed by the client");
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException)
        {
            closed = new HubClosed(null, false, null, e.Message);
        }
        finally
        {
            _done = true;
            foreach (var id in _pending.Keys)
            {
                if (_pending.TryRemove(id, out var completion))
                {
                    completion.TrySetException(new HubConnectionClosedException("the connection closed before the invocation completed"));
                }
            }

            _invocations.Writer.TryComplete();
            _closed.TrySetResult(closed);
        }
    }

    private async Task PingLoopAsync()
    {
        try
        {
            while (!_done)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), _stop.Token);
                await SendFrameAsync("{\"type\":6}"u8.ToArray(), _stop.Token);
            }
        }
        catch (Exception)
        {
            // Ends with the connection.
        }
    }

    /// <summary>Drops the TCP connection without a close handshake.</summary>
    public void Abort()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            _socket.Abort();
            _stop.Cancel();
        }
    }

    /// <summary>Closes the WebSocket politely and waits for the server to finish the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (!_done && _socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _sendLock.WaitAsync(timeout.Token);
                try
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
                }
                finally
                {
                    _sendLock.Release();
                }

                await _receiveLoop.WaitAsync(timeout.Token);
            }
            catch (Exception)
            {
                // Already gone.
            }
        }

        _stop.Cancel();
        _socket.Abort();
        await _receiveLoop.ContinueWith(_ => { }, TaskScheduler.Default);
        await _pingLoop.ContinueWith(_ => { }, TaskScheduler.Default);
        _socket.Dispose();
        _stop.Dispose();
    }
}
