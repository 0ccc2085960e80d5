using System.Text;
using System.Text.Json;
using CartRecovery.Gateway.Auth;
using CartRecovery.Gateway.Cluster;
using CartRecovery.Gateway.Hosting;
using CartRecovery.Gateway.Metrics;
using CartRecovery.Gateway.Security;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Ingestion;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CartRecovery.Gateway.Hubs;

/// <summary>
/// The storefront hub. A connection is registered only under the shopper its token names
/// (<see cref="ShopperConnections"/>), so no client can receive another shopper's nudges whatever it
/// sends; events it sends must be for that shopper too, and are held to what a browser may send
/// (<see cref="BrowserEvents"/>). Pending nudges are re-sent on connect. How many connections a
/// shopper or an address may hold is capped before the hub (<see cref="HubConnectionLimits"/>), and a
/// connection is closed when its token expires.
/// </summary>
[Authorize(Policy = Policies.Shopper)]
public sealed class ShopperHub(EventIngestor ingestor, EventValidator validator, IGrainClient grains, GatewayMetrics metrics, ClientLimits limits, IOptions<LimitsOptions> options,
    ShopperConnections connections, TimeProvider time, ILogger<ShopperHub> log) : Hub
{
    public const string Path = "/hubs/shopper";
    public const string NudgeMethod = "nudge";

    /// <summary>What a call whose arguments did not bind becomes (<see cref="UnboundCallProtocol"/>).</summary>
    public const string UnboundCallMethod = "unbound-call";

    private const string ViolationsKey = "violations";

    private string ShopperId => Context.User!.FindFirst(TokenService.ShopperClaim)!.Value;

    public override async Task OnConnectedAsync()
    {
        var shopperId = ShopperId;
        metrics.Connected("shopper");
        connections.Add(shopperId, Context.ConnectionId);
        var connected = false;
        try
        {
            var pending = await grains.ConnectAsync(shopperId, Context.ConnectionAborted);
            connected = true;
            foreach (var nudge in pending)
            {
                await Clients.Caller.SendAsync(NudgeMethod, nudge, Context.ConnectionAborted);
            }
        }
        catch (Exception)
        {
            // SignalR does not call OnDisconnectedAsync after a failed OnConnectedAsync: undo here.
            await DisconnectedAsync(shopperId, connected);
            throw;
        }
    }

    public override Task OnDisconnectedAsync(Exception? exception) => DisconnectedAsync(ShopperId, grainConnected: true);

    private async Task DisconnectedAsync(string shopperId, bool grainConnected)
    {
        metrics.Disconnected("shopper");
        connections.Remove(shopperId, Context.ConnectionId);
        if (!grainConnected)
        {
            return;
        }

        try
        {
            await grains.DisconnectAsync(shopperId, CancellationToken.None);
        }
        catch (Exception)
        {
            // Best effort: the shopper grain also treats connections as gone after a restart.
        }
    }

    /// <summary>One event; answered like POST /v1/events.</summary>
    public Task<IngestResult> Track(JsonElement e) => TrackBatch(e);

    /// <summary>
    /// A batch, validated event by event like POST /v1/events (a malformed event is refused by index
    /// and field; the others go ahead).
    /// </summary>
    public async Task<IngestResult> TrackBatch(JsonElement events)
    {
        var receivedAt = time.GetUtcNow();
        var count = events.ValueKind == JsonValueKind.Array ? events.GetArrayLength() : 1;
        if (count > EventValidator.MaxBatch)
        {
            throw new HubException($"events: a batch holds at most {EventValidator.MaxBatch} events");
        }

        // Every event costs one, as over HTTP: a batch larger than the burst never passes.
        if (!limits.TryEvents(ShopperId, count))
        {
            Violation();
            throw new HubException(count > limits.EventBurst
                ? $"rate limit: a batch of {count} events is more than this shopper's burst of {limits.EventBurst}; send smaller batches"
                : "rate limit: too many events for this shopper; slow down");
        }

        List<StorefrontEvent> valid;
        IngestResult result;
        try
        {
            (valid, result) = validator.ParseBatch(Encoding.UTF8.GetBytes(events.GetRawText()), ShopperId);
        }
        catch (BadBatchException e)
        {
            throw new HubException(e.Message);
        }

        BrowserEvents.Restrict(valid, result, receivedAt);

        await ingestor.PublishValidatedAsync(valid, result, "hub", Context.ConnectionAborted);
        return result;
    }

    /// <summary>
    /// A call whose arguments did not bind to <paramref name="target"/> (wrong count or types, or no
    /// such method): refused, and counted like a rate-limit violation.
    /// </summary>
    [HubMethodName(UnboundCallMethod)]
    public Task Unbound(string target, string reason)
    {
        Violation();
        throw new HubException($"arguments: '{target}' cannot be called with these arguments: {reason}");
    }

    /// <summary>Counts a refused call; past the limit the connection is cut.</summary>
    private void Violation()
    {
        var violations = Context.Items.TryGetValue(ViolationsKey, out var v) ? (int)v! + 1 : 1;
        Context.Items[ViolationsKey] = violations;
        if (violations == options.Value.HubViolationsBeforeDisconnect)
        {
            log.LogWarning("Shopper hub connection {ConnectionId} of shopper {ShopperId} cut after {Violations} refused calls", Context.ConnectionId, ShopperId, violations);
        }

        if (violations >= options.Value.HubViolationsBeforeDisconnect)
        {
            Context.Abort();
        }
    }
}
