using CartRecovery.Runtime;
using CartRecovery.Runtime.Storage;

namespace CartRecovery.Silo.Cluster;

/// <summary>
/// Keeps this silo's row in the silos table (internal URL, partitions, heartbeat) for gateways and
/// the dashboard. Placement itself never depends on it: Kafka's group decides ownership.
/// </summary>
internal sealed class SiloMembership(GrainRuntime runtime, IGrainStorage storage, Func<string> internalUrl, ILogger<SiloMembership> log) : BackgroundService
{
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        do
        {
            try
            {
                await storage.UpsertSiloAsync(new SiloRow(runtime.SiloId, internalUrl(), _started, DateTimeOffset.UtcNow, runtime.OwnedPartitions.ToList()), stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "silo heartbeat failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await storage.RemoveSiloAsync(runtime.SiloId, cancellationToken);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "could not remove the silo row");
        }
    }
}
