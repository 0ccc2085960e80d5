using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Nudges;
using Microsoft.AspNetCore.SignalR;

namespace CartRecovery.Gateway.Hubs;

/// <summary>Delivers an on-site nudge to the browsers of its shopper connected to this gateway.</summary>
public sealed class SignalROnSitePublisher(IHubContext<ShopperHub> shoppers, IHubContext<AdminHub> admins, Dashboard.NudgeFeed feed) : IOnSiteNudgePublisher
{
    public async Task PublishAsync(NudgeMessage nudge, CancellationToken cancellationToken)
    {
        feed.Add(nudge);
        await shoppers.Clients.Group(ShopperHub.Group(nudge.ShopperId)).SendAsync(ShopperHub.NudgeMethod, nudge, cancellationToken);
        await admins.Clients.Group(AdminHub.Group).SendAsync(AdminHub.NudgeMethod, nudge, cancellationToken);
    }
}
