using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace CartRecovery.Gateway.Hubs;

/// <summary>
/// The hub protocol (JSON) with one change: a call whose arguments do not bind to its method (wrong
/// count or types, or no such method) becomes a call of the hub's <see cref="ShopperHub.UnboundCallMethod"/>,
/// so the hub refuses it itself and counts it against the connection's violations. SignalR answers
/// such calls before any hub code or filter runs. Hubs without that method keep SignalR's answer.
/// </summary>
public sealed class UnboundCallProtocol(IHubProtocol inner) : IHubProtocol
{
    private readonly ConcurrentDictionary<Type, bool> _handles = new();

    public string Name => inner.Name;

    public int Version => inner.Version;

    public TransferFormat TransferFormat => inner.TransferFormat;

    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        if (!inner.TryParseMessage(ref input, binder, out message))
        {
            return false;
        }

        if (message is InvocationBindingFailureMessage failure && Handles(binder))
        {
            message = new InvocationMessage(failure.InvocationId, ShopperHub.UnboundCallMethod, [failure.Target, failure.BindingFailure.SourceException.Message]);
        }

        return true;
    }

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(message, output);

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(message);

    /// <summary>Whether the binder's hub has the method (one binder type per hub type).</summary>
    private bool Handles(IInvocationBinder binder) => _handles.GetOrAdd(binder.GetType(), static (_, b) =>
    {
        try
        {
            return b.GetParameterTypes(ShopperHub.UnboundCallMethod).Count == 2;
        }
        catch (Exception)
        {
            return false; // "Method does not exist."
        }
    }, binder);
}
