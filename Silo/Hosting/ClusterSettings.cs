using System.Net;

namespace CartRecovery.Silo.Hosting;

/// <summary>
/// How this process finds its cluster (section <c>Cluster</c>). The default is one silo on
/// loopback with no dependency; <c>Membership=Redis</c> forms a cluster of silos (and gateways as
/// Orleans clients) through Orleans' Redis membership table.
/// </summary>
public sealed class ClusterSettings
{
    public const string Section = "Cluster";

    /// <summary><c>Localhost</c> (default: a single silo, nothing shared) or <c>Redis</c>.</summary>
    public string Membership { get; set; } = "Localhost";

    /// <summary>StackExchange.Redis configuration string; required with Redis membership. Also the SignalR backplane.</summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>Stable for the life of the data (reminders and state rows carry it).</summary>
    public string ServiceId { get; set; } = "cartrecovery";

    /// <summary>Silos with the same cluster id form one cluster.</summary>
    public string ClusterId { get; set; } = "cartrecovery";

    /// <summary>Silo-to-silo port. Default 11111; 0 picks a free one (single-machine runs and tests).</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port Orleans clients (gateway role) connect to. Default 30000; 0 picks a free one.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos reach this one at (a pod IP). Default: the first IPv4 address of the host name.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Running as a Kubernetes pod: silo names follow pods and silos of deleted pods are removed (needs the chart's RBAC).</summary>
    public bool Kubernetes { get; set; }

    public bool UsesRedis => string.Equals(Membership, "Redis", StringComparison.OrdinalIgnoreCase);

    /// <summary>Every problem at once, each naming its key.</summary>
    public IEnumerable<string> Problems()
    {
        if (!UsesRedis && !string.Equals(Membership, "Localhost", StringComparison.OrdinalIgnoreCase))
        {
            yield return $"{Section}:Membership must be Localhost or Redis (got '{Membership}')";
        }

        if (UsesRedis && string.IsNullOrWhiteSpace(RedisConnectionString))
        {
            yield return $"{Section}:RedisConnectionString is required when {Section}:Membership is Redis";
        }

        if (SiloPort is < 0 or > 65535)
        {
            yield return $"{Section}:SiloPort must be between 0 and 65535";
        }

        if (GatewayPort is < 0 or > 65535)
        {
            yield return $"{Section}:GatewayPort must be between 0 and 65535";
        }

        if (AdvertisedAddress is { Length: > 0 } address && !IPAddress.TryParse(address, out _))
        {
            yield return $"{Section}:AdvertisedAddress must be an IP address (got '{address}')";
        }

        if (string.IsNullOrWhiteSpace(ServiceId) || string.IsNullOrWhiteSpace(ClusterId))
        {
            yield return $"{Section}:ServiceId and {Section}:ClusterId must not be empty";
        }
    }
}
