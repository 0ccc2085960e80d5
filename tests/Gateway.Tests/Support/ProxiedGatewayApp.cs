namespace CartRecovery.Gateway.Tests.Support;

/// <summary>
/// The app behind a trusted reverse proxy (the tests' loopback address): X-Forwarded-For names the
/// client, so each test plays clients of its own. Hub connection caps are low so they can be reached.
/// </summary>
public sealed class ProxiedGatewayApp : GatewayApp
{
    public const int HubConnectionsPerShopper = 3;
    public const int HubConnectionsPerIp = 5;

    protected override IEnumerable<string> ExtraArgs =>
    [
        "--Http:TrustedProxies:0=127.0.0.1",
        $"--Limits:HubConnectionsPerShopper={HubConnectionsPerShopper}",
        $"--Limits:HubConnectionsPerIp={HubConnectionsPerIp}",
    ];

    private static int _nextClient;

    /// <summary>
    /// A made-up client address (documentation range 2001:db8::/32), new on every call and in a /64
    /// of its own (limits key IPv6 clients by /64, one subscriber's usual allocation).
    /// </summary>
    public static string NewClientIp() => $"2001:db8:{Interlocked.Increment(ref _nextClient):x}::1";

    public static Dictionary<string, string> From(string ip) => new() { ["X-Forwarded-For"] = ip };
}
