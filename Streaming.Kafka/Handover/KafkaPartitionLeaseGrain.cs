using Microsoft.Extensions.Logging;

namespace CartRecovery.Streaming.Kafka.Handover;

/// <summary>
/// In memory on purpose: if this activation is lost with its silo, the next reader is granted at once, which can only
/// replay records (the previous reader may not have committed); it can never skip one, because every reader commits
/// only offsets below which it delivered everything.
/// </summary>
[KeepAlive]
internal sealed partial class KafkaPartitionLeaseGrain(IClusterMembershipService membership, ILogger<KafkaPartitionLeaseGrain> logger)
    : Grain, IKafkaPartitionLeaseGrain
{
    private Guid? _owner;
    private SiloAddress? _silo;

    public Task<LeaseAnswer> TryAcquire(Guid owner, SiloAddress silo, bool force)
    {
        if (_owner is null || _owner == owner || force || !IsAlive(_silo!))
        {
            if (_owner is { } previous && previous != owner)
            {
                TakenOver(logger, this.GetPrimaryKeyString(), _silo!, silo, force);
            }

            _owner = owner;
            _silo = silo;
            return Task.FromResult(new LeaseAnswer(true, silo));
        }

        return Task.FromResult(new LeaseAnswer(false, _silo));
    }

    public Task Release(Guid owner)
    {
        if (_owner == owner)
        {
            _owner = null;
            _silo = null;
        }

        return Task.CompletedTask;
    }

    // A silo that is still joining, active or stopping will let go itself; one declared dead never will.
    private bool IsAlive(SiloAddress silo) =>
        membership.CurrentSnapshot.GetSiloStatus(silo) is SiloStatus.Created or SiloStatus.Joining or SiloStatus.Active
            or SiloStatus.ShuttingDown or SiloStatus.Stopping;

    [LoggerMessage(EventId = 1400, Level = LogLevel.Warning, Message = "Partition lease {Lease} taken from {Previous} by {Next} (forced: {Forced})")]
    private static partial void TakenOver(ILogger logger, string lease, SiloAddress previous, SiloAddress next, bool forced);
}
