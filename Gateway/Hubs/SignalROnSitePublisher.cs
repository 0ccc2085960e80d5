using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Nudges;
using Microsoft.AspNetCore.SignalR;

namespace CartRecovery.Gateway.Hubs;

/// <summary>
/// Delivers an on-site nudge to its shopper's browsers. With the Redis backplane it goes to the
/// shopper as a SignalR user, wherever the connections are; without one, the shopper's connections
/// are all on this process and are found in <see cref="ShopperConnections"/> (a lookup, where
/// SignalR's in-memory user send would scan every connection).
/// </summary>
public sealed class SignalROnSitePublisher(IHubContext<ShopperHub> shoppers, IHubContext<AdminHub> admins, ShopperConnections connections, Dashboard.NudgeFeed feed, SignalRBackplane backplane)
    : IOnSiteNudgePublisher
{
    public async Task PublishAsync(NudgeMessage nudge, CancellationToken cancellationToken)
    {
        feed.Add(nudge);
        if (backplane.Enabled)
        {
            await shoppers.Clients.User(nudge.ShopperId).SendAsync(ShopperHub.NudgeMethod, nudge, cancellationToken);
        }
        else
        {
            var ids = connections.Of(nudge.ShopperId);
            if (ids.Count > 0)
            {
                await (ids.Count == 1 ? shoppers.Clients.Client(ids[0]) : shoppers.Clients.Clients(ids)).SendAsync(ShopperHub.NudgeMethod, nudge, cancellationToken);
            }
        }

        await admins.Clients.Group(AdminHub.Group).SendAsync(AdminHub.NudgeMethod, nudge, cancellationToken);
    }
}
