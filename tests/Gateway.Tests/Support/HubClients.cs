using System.Globalization;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using CartRecovery.Gateway.Hubs;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace CartRecovery.Gateway.Tests.Support;

/// <summary>A call the server made on a client: the method and its (one) argument.</summary>
public sealed record HubMessage(string Target, JsonElement Argument);

/// <summary>
/// Hub connections of the real SignalR .NET client over WebSockets, without negotiation. The token
/// goes where that client puts it (<c>AccessTokenProvider</c>: the Authorization header), or where
/// the browser client does (the <c>access_token</c> query parameter). What the server calls on a
/// connection, and how the connection ends, are recorded from before it starts.
/// </summary>
public static partial class HubClients
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>How the client fails calls pending when the server closes the connection with an error.</summary>
    private const string ServerClosedPrefix = "The server closed the connection with the following error: ";

    /// <summary>The methods the gateway's hubs call on clients.</summary>
    private static readonly string[] ClientMethods = [ShopperHub.NudgeMethod, AdminHub.NudgeMethod, AdminHub.SnapshotMethod];

    private static readonly ConditionalWeakTable<HubConnection, Recording> Recordings = new();

    private sealed class Recording
    {
        public Channel<HubMessage> Messages { get; } = Channel.CreateUnbounded<HubMessage>();

        public TaskCompletionSource<Exception?> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public static HubConnection Build(string baseAddress, string path, string? token, IDictionary<string, string>? headers = null, bool tokenInQuery = false)
    {
        var query = tokenInQuery && token is not null ? "?access_token=" + Uri.EscapeDataString(token) : "";
        var connection = new HubConnectionBuilder()
            .WithUrl(baseAddress + path + query, HttpTransportType.WebSockets, o =>
            {
                o.SkipNegotiation = true;
                if (!tokenInQuery)
                {
                    o.AccessTokenProvider = () => Task.FromResult(token);
                }

                foreach (var (name, value) in headers ?? new Dictionary<string, string>())
                {
                    o.Headers[name] = value;
                }
            })
            .Build();

        var recording = new Recording();
        foreach (var method in ClientMethods.Distinct())
        {
            connection.On<JsonElement>(method, argument => recording.Messages.Writer.TryWrite(new HubMessage(method, argument)));
        }

        connection.Closed += error =>
        {
            recording.Closed.TrySetResult(error);
            return Task.CompletedTask;
        };
        Recordings.Add(connection, recording);
        return connection;
    }

    public static Task<HubConnection> ConnectAsync(string baseAddress, string path, string? token, IDictionary<string, string>? headers = null) =>
        StartAsync(Build(baseAddress, path, token, headers));

    /// <summary>Starts the connection (disposed if that fails).</summary>
    public static async Task<HubConnection> StartAsync(HubConnection connection)
    {
        try
        {
            using var timeout = new CancellationTokenSource(Timeout);
            await connection.StartAsync(timeout.Token);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a connection the server must refuse and returns the HTTP status of the refused WebSocket upgrade.</summary>
    public static async Task<int> RefusedStatusAsync(HubConnection connection)
    {
        await using (connection)
        {
            using var timeout = new CancellationTokenSource(Timeout);
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => connection.StartAsync(timeout.Token));
            return RefusedStatus(refused) ?? throw new Xunit.Sdk.XunitException("not a refused upgrade: " + refused);
        }
    }

    /// <summary>The HTTP status of a refused upgrade: the client reports it in the exception's message only.</summary>
    public static int? RefusedStatus(WebSocketException e) =>
        UpgradeStatus().Match(e.Message) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"status code '(\d{3})' when status code '101' was expected")]
    private static partial Regex UpgradeStatus();

    private static Recording Of(HubConnection connection) =>
        Recordings.TryGetValue(connection, out var recording) ? recording : throw new InvalidOperationException("not a connection of HubClients.Build");

    /// <summary>The next call the server made on the connection, or a TimeoutException when none arrives in time.</summary>
    public static async Task<HubMessage> NextMessageAsync(this HubConnection connection, TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? Timeout);
        try
        {
            return await Of(connection).Messages.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no call from the server within {(within ?? Timeout).TotalSeconds:0.#} s");
        }
    }

    /// <summary>Calls the server made on the connection so far and not yet read.</summary>
    public static List<HubMessage> ReceivedMessages(this HubConnection connection)
    {
        var list = new List<HubMessage>();
        while (Of(connection).Messages.Reader.TryRead(out var message))
        {
            list.Add(message);
        }

        return list;
    }

    /// <summary>Whether the connection has ended since it started.</summary>
    public static bool HasClosed(this HubConnection connection) => Of(connection).Closed.Task.IsCompleted;

    /// <summary>Waits for the connection to end (the error it ended with, if any), or raises TimeoutException.</summary>
    public static Task<Exception?> WaitClosedAsync(this HubConnection connection, TimeSpan? within = null) =>
        Of(connection).Closed.Task.WaitAsync(within ?? Timeout);

    /// <summary>
    /// Whether a call failed because its connection ended before the server answered it, rather than
    /// by the server's refusal (a HubException carrying the server's error). The client fails calls
    /// pending at the end with the server's close error (a HubException of its own wording), with the
    /// transport's error, or as cancelled when there was none; later calls find it inactive.
    /// </summary>
    public static bool EndedByClose(Exception e) => e switch
    {
        HubException h => h.Message.StartsWith(ServerClosedPrefix, StringComparison.Ordinal),
        OperationCanceledException or InvalidOperationException or IOException or WebSocketException => true,
        _ => false,
    };
}
