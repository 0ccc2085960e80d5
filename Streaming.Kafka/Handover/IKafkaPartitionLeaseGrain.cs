namespace CartRecovery.Streaming.Kafka.Handover;

/// <summary>
/// Who reads one partition (key "provider/topic/partition"). A silo that Orleans' queue balancer gives the partition
/// starts reading only once the previous reader has committed its offsets and let go, or is dead.
/// </summary>
[Alias("cr.kafka.IKafkaPartitionLeaseGrain")]
internal interface IKafkaPartitionLeaseGrain : IGrainWithStringKey
{
    /// <summary>Grants the lease when it is free, already <paramref name="owner"/>'s, held by a dead silo, or <paramref name="force"/>d.</summary>
    [Alias("TryAcquire")]
    Task<LeaseAnswer> TryAcquire(Guid owner, SiloAddress silo, bool force);

    /// <summary>Lets go, after the final commit; a no-op for anyone but the holder.</summary>
    [Alias("Release")]
    Task Release(Guid owner);
}

[GenerateSerializer, Immutable, Alias("cr.kafka.LeaseAnswer")]
internal readonly record struct LeaseAnswer([property: Id(0)] bool Granted, [property: Id(1)] SiloAddress? Holder);
