namespace CartRecovery.Cluster.Tests;

/// <summary>
/// The cluster tests run one at a time: each starts several server processes, and the timing
/// guarantees they measure (failover within 15 s) need the machine's cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}
