using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Bench.Support;

/// <summary>
/// The baseline of the SignalR scenario: a bare Kestrel WebSocket endpoint (<c>/ws?id=N</c>) that
/// keeps each socket by id with a 1 KB receive buffer and lets the bench push text frames to any
/// of them. No auth, hub protocol, groups or grains.
/// </summary>
internal sealed class RawWebSocketServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<int, WebSocket> _sockets = new();

    private RawWebSocketServer(WebApplication app) => _app = app;

    public string BaseAddress { get; private set; } = "";

    public int Count => _sockets.Count;

    public static async Task<RawWebSocketServer> StartAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new RawWebSocketServer(app);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        app.Map("/ws", async (HttpContext http) =>
        {
            if (!http.WebSockets.IsWebSocketRequest || !int.TryParse(http.Request.Query["id"], out var id))
            {
                http.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            using var socket = await http.WebSockets.AcceptWebSocketAsync();
            server._sockets[id] = socket;
            var buffer = new byte[1024];
            try
            {
                while (true)
                {
                    var r = await socket.ReceiveAsync(buffer.AsMemory(), http.RequestAborted);
                    if (r.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ConnectionAbortedException)
            {
            }
            finally
            {
                server._sockets.TryRemove(new KeyValuePair<int, WebSocket>(id, socket));
            }
        });
        await app.StartAsync();
        server.BaseAddress = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return server;
    }

    /// <summary>Sends one text frame to socket <paramref name="id"/>; false when it is not connected.</summary>
    public async Task<bool> SendAsync(int id, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!_sockets.TryGetValue(id, out var socket) || socket.State != WebSocketState.Open)
        {
            return false;
        }

        try
        {
            await socket.SendAsync(payload, WebSocketMessageType.Text, true, cancellationToken);
            return true;
        }
        catch (WebSocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _sockets.Values)
        {
            s.Abort();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
