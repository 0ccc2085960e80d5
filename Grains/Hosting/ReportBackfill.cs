using CartRecovery.Grains.Reports;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Grains.Hosting;

/// <summary>
/// Once per silo start, makes carts stored before the running report totals existed report their
/// contribution (idempotent: a cart that has reported is skipped by its own sequence number).
/// </summary>
internal sealed partial class ReportBackfill(ICartStateSource carts, IGrainFactory grains, ILogger<ReportBackfill> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let the silo finish joining before it is asked to activate grains.
        await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
        try
        {
            var asked = await RecoveryReports.BackfillAsync(carts, grains, stoppingToken);
            if (asked > 0)
            {
                LogBackfilled(log, asked);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(log, e);
        }
    }

    [LoggerMessage(5000, LogLevel.Information, "{Count} carts stored before running report totals reported their contribution")]
    private static partial void LogBackfilled(ILogger logger, int count);

    [LoggerMessage(5001, LogLevel.Warning, "report backfill failed; it runs again at the next start")]
    private static partial void LogFailed(ILogger logger, Exception error);
}
