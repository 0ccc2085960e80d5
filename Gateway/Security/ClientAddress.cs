using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

namespace CartRecovery.Gateway.Security;

/// <summary>
/// Who the client is, for per-client limits: the connection's remote address, which the forwarded
/// headers middleware has set from X-Forwarded-For when the peer is a trusted proxy
/// (<c>Http:TrustedProxies</c>), and the socket's peer otherwise.
/// </summary>
internal static class ClientAddress
{
    /// <summary>
    /// The limit key: an IPv4 address, or an IPv6 address's /64 network (what one subscriber is
    /// usually given; an attacker holding a /64 must not get 2^64 budgets).
    /// </summary>
    public static string Key(HttpContext context) => Key(context.Connection.RemoteIpAddress);

    public static string Key(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(address))
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
