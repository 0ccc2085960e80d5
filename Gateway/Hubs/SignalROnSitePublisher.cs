using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Nudges;
using Microsoft.AspNetCore.SignalR;

namespace CartRecovery.Gateway.Hubs;

/// <summary>Delivers an on-site nudge to the browsers of its shopper connected to this gateway.</summary>
public sealed class SignalROnSitePublisher(IHubContext<ShopperHub> shoppers, IHubContext<AdminHub> admins, ShopperConnections connections, Dashboard.NudgeFeed feed)
    : IOnSiteNudgePublisher
{
    public async Task PublishAsync(NudgeMessage nudge, CancellationToken cancellationToken)
    {
        feed.Add(nudge);
        var ids = connections.Of(nudge.ShopperId);
        if (ids.Count > 0)
        {
            await (ids.Count == 1 ? shoppers.Clients.Client(ids[0]) : shoppers.Clients.Clients(ids)).SendAsync(ShopperHub.NudgeMethod, nudge, cancellationToken);
        }

        await admins.Clients.Group(AdminHub.Group).SendAsync(AdminHub.NudgeMethod, nudge, cancellationToken);
    }
}
