using System.Diagnostics;
using CartRecovery.Gateway.Dashboard;
using CartRecovery.Gateway.Hubs;
using CartRecovery.Grains.Reports;
using CartRecovery.Runtime.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;

namespace CartRecovery.Bench.Support;

/// <summary>
/// The dashboard's extra work, measured directly and amplified so that it stands far above the
/// noise of a shared machine. With an admin connected, DashboardService does two things it does
/// not do otherwise (the snapshot itself is built every second either way):
/// <list type="number">
/// <item>each second it sends the snapshot to the admins group: here the same call
/// (<c>IHubContext&lt;AdminHub&gt;.Clients.Group(admins).SendAsync("snapshot", …)</c>) is made
/// <c>sends</c> times in a row with a snapshot whose history is full (300 points, the size of any
/// dashboard open for 5 minutes), to 1 and to 5 connected clients that only count what arrives;</item>
/// <item>every 10 s it scans the carts for the business figures (RecoveryReport.FromStorageAsync)
/// and lists the silos: here the same two calls, <c>scans</c> times, on the database the load built.</item>
/// </list>
/// Process CPU over each burst minus the idle background rate (measured before and after) divided
/// by the count gives the CPU per send and per scan; the dashboard's cost per second is one send
/// plus a tenth of a scan.
/// </summary>
internal static class DashboardDirectCost
{
    public sealed record Result(
        double BackgroundCores,
        int SnapshotBytes,
        double SendUs1,
        double SendUs5,
        double ScanUs,
        int Carts,
        double ScanUsPerCart)
    {
        /// <summary>Extra CPU per wall second with <paramref name="admins"/> dashboards open, in microseconds.</summary>
        public double ExtraUsPerSecond(int admins) => (admins == 1 ? SendUs1 : SendUs5) + ScanUs / DashboardService.ReportInterval.TotalSeconds;
    }

    public static async Task<Result> MeasureAsync(WebApplication app, string baseAddress, IReadOnlyList<string> tokens, int sends, int scans, CancellationToken cancellationToken)
    {
        var hub = app.Services.GetRequiredService<IHubContext<AdminHub>>();
        var storage = app.Services.GetRequiredService<IGrainStorage>();
        var latest = app.Services.GetRequiredService<DashboardService>().Latest ?? throw new InvalidOperationException("the dashboard has built no snapshot yet");
        var full = latest with { History = Fill(latest.History, DashboardService.HistoryLength, latest) };

        var background = await BackgroundAsync(TimeSpan.FromSeconds(2), cancellationToken);
        var (send1, bytes) = await SendBurstAsync(hub, full, baseAddress, tokens.Take(1).ToList(), sends, background, cancellationToken);
        var (send5, _) = await SendBurstAsync(hub, full, baseAddress, tokens.Take(5).ToList(), sends, background, cancellationToken);

        RecoveryReport report = new();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var t0 = Stopwatch.GetTimestamp();
        for (var i = 0; i < scans; i++)
        {
            report = await RecoveryReport.FromStorageAsync(storage, null, null, cancellationToken);
            await storage.ListSilosAsync(cancellationToken);
        }

        var scanUs = Net(cpu0, t0, background) / scans;
        var after = await BackgroundAsync(TimeSpan.FromSeconds(2), cancellationToken);
        BenchLog.Info($"  direct: background {background * 100:0.0}% -> {after * 100:0.0}% of a core; send {send1:0} us (1 admin), {send5:0} us (5 admins) per {bytes:N0}-byte snapshot; "
            + $"report scan {scanUs / 1000:0.00} ms for {report.CartsCreated:N0} carts");
        return new Result((background + after) / 2, bytes, send1, send5, scanUs, report.CartsCreated, report.CartsCreated > 0 ? scanUs / report.CartsCreated : double.NaN);
    }

    /// <summary>The history padded (older points repeating the oldest values, one second apart) to <paramref name="length"/> points.</summary>
    private static List<HistoryPoint> Fill(IReadOnlyList<HistoryPoint> history, int length, DashboardSnapshot latest)
    {
        var points = history.ToList();
        var oldest = points.Count > 0 ? points[0] : new HistoryPoint(latest.At, latest.EventsPerSec, latest.CallP99Ms, latest.RecoveredRevenue, latest.Nudges.Sent);
        while (points.Count < length)
        {
            oldest = oldest with { At = oldest.At.AddSeconds(-1) };
            points.Insert(0, oldest);
        }

        return points.Count > length ? points.GetRange(points.Count - length, length) : points;
    }

    private static async Task<double> BackgroundAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var t0 = Stopwatch.GetTimestamp();
        await Task.Delay(duration, cancellationToken);
        return (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    /// <summary>CPU microseconds used since (cpu0, t0) beyond the background rate.</summary>
    private static double Net(TimeSpan cpu0, long t0, double background)
    {
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return Math.Max(0, cpu - background * wall) * 1e6;
    }

    private static async Task<(double UsPerSend, int Bytes)> SendBurstAsync(IHubContext<AdminHub> hub, DashboardSnapshot snapshot, string baseAddress, List<string> tokens, int sends,
        double background, CancellationToken cancellationToken)
    {
        var clients = new List<DashboardHubClient>();
        try
        {
            foreach (var token in tokens)
            {
                var c = await DashboardHubClient.ConnectAsync(baseAddress, token, cancellationToken);
                c.Inspect = false;
                clients.Add(c);
            }

            // Past the connect-time report scan of the dashboard service.
            await Task.Delay(TimeSpan.FromSeconds(1.5), cancellationToken);
            var before = clients.Select(c => c.Snapshots).ToArray();
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var t0 = Stopwatch.GetTimestamp();
            for (var i = 0; i < sends; i++)
            {
                await hub.Clients.Group(AdminHub.Group).SendAsync(AdminHub.SnapshotMethod, snapshot, cancellationToken);
            }

            // Until every client has everything: the socket writes are part of the cost.
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 30;
            while (clients.Select((c, i) => c.Snapshots - before[i]).Min() < sends && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(5, cancellationToken);
            }

            var net = Net(cpu0, t0, background);
            var received = clients.Select((c, i) => c.Snapshots - before[i]).Min();
            if (received < sends)
            {
                throw new InvalidOperationException($"only {received} of {sends} snapshots arrived at every client");
            }

            var sizes = clients[0].Sizes();
            return (net / sends, sizes.Max());
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }
}
