using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Gateway.Hubs;

/// <summary>
/// Logs how hub calls fail, in place of SignalR's dispatcher (whose log category the gateway turns
/// off, <see cref="DispatcherCategory"/>): it logs every exception from a hub method at Error with
/// its stack, including our own refusals (<see cref="HubException"/>: bad input, limits). Those are
/// the client's fault and expected under abuse: one Debug line without a stack. Anything else stays
/// an Error with its stack. The client sees the same error either way.
/// </summary>
public sealed class HubCallLog(ILogger<HubCallLog> log) : IHubFilter
{
    public const string DispatcherCategory = "Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher";

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (HubException e)
        {
            log.LogDebug("Hub call {Hub}.{Method} refused on connection {ConnectionId}: {Reason}",
                invocationContext.Hub.GetType().Name, invocationContext.HubMethodName, invocationContext.Context.ConnectionId, e.Message);
            throw;
        }
        catch (OperationCanceledException) when (invocationContext.Context.ConnectionAborted.IsCancellationRequested)
        {
            log.LogDebug("Hub call {Hub}.{Method} cancelled: connection {ConnectionId} closed",
                invocationContext.Hub.GetType().Name, invocationContext.HubMethodName, invocationContext.Context.ConnectionId);
            throw;
        }
        catch (Exception e)
        {
            log.LogError(e, "Hub call {Hub}.{Method} failed on connection {ConnectionId}",
                invocationContext.Hub.GetType().Name, invocationContext.HubMethodName, invocationContext.Context.ConnectionId);
            throw;
        }
    }
}
