using System.Net;
using System.Net.Sockets;

namespace CartRecovery.Grains.Hosting;

/// <summary>Free loopback ports for silos that run inside tools and tests, several per machine.</summary>
public static class LocalPorts
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
