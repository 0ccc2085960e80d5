using CartRecovery.Gateway.Auth;
using CartRecovery.Gateway.Metrics;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace CartRecovery.Gateway.Hubs;

/// <summary>Live dashboard feed for admins and viewers: snapshots are pushed, never polled.</summary>
[Authorize(Policy = Policies.Viewer)]
public sealed class AdminHub(GatewayMetrics metrics, Dashboard.DashboardService dashboard) : Hub
{
    public const string Path = "/hubs/admin";
    public const string Group = "admins";
    public const string SnapshotMethod = "snapshot";
    public const string NudgeMethod = "nudge";

    public override async Task OnConnectedAsync()
    {
        metrics.Connected("admin");
        await Groups.AddToGroupAsync(Context.ConnectionId, Group);
        if (dashboard.Latest is { } latest)
        {
            await Clients.Caller.SendAsync(SnapshotMethod, latest);
        }
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        metrics.Disconnected("admin");
        return Task.CompletedTask;
    }
}
