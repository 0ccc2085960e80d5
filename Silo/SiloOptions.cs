using CartRecovery.Silo.Hosting;

namespace CartRecovery.Silo;

/// <summary>Which parts this process runs (section <c>Silo</c>).</summary>
public sealed class SiloOptions
{
    public const string Section = "Silo";

    /// <summary>
    /// <c>both</c> (default: an Orleans silo co-hosting the gateway), <c>silo</c> (grains only;
    /// HTTP serves health and metrics) or <c>gateway</c> (HTTP API and hubs as an Orleans client
    /// of the silos; no grains).
    /// </summary>
    public string Role { get; set; } = "both";

    public bool HostsGrains => Role is "both" or "silo";

    public bool HostsGateway => Role is "both" or "gateway";

    public IEnumerable<string> Problems(ClusterSettings cluster)
    {
        if (Role is not ("both" or "silo" or "gateway"))
        {
            yield return $"{Section}:Role must be both, silo or gateway (got '{Role}')";
        }
        else if (Role is "silo" or "gateway" && !cluster.UsesRedis)
        {
            yield return $"{Section}:Role={Role} splits a cluster: set {ClusterSettings.Section}:Membership=Redis and {ClusterSettings.Section}:RedisConnectionString";
        }
    }
}
