namespace CartRecovery.Streaming.Kafka.Tests.Support;

/// <summary>Tests that start Orleans silos run one at a time: two cores do not carry several clusters at once.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OrleansClusters
{
    public const string Name = "orleans clusters";
}
