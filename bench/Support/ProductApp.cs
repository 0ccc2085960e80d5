using CartRecovery.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace CartRecovery.Bench.Support;

/// <summary>
/// The product as the scenarios run it: <see cref="SiloApp"/> in process (embedded default: silo +
/// gateway, grain state and reminders in a SQLite file), on a free port, with the per-address and
/// per-shopper limits high enough that the load generator (one address) is never throttled, and
/// its logs on stderr (stdout carries the result).
/// </summary>
internal static class ProductApp
{
    public const string IngestKey = "bench-key";
    public const string AdminPassword = "bench-admin-password";

    public static Task<WebApplication> StartAsync(string sqliteConnectionString, Action<WebApplicationBuilder>? configure = null) =>
        SiloApp.StartAsync(
        [
            "--environment", "Development",
            "--Http:Port=0",
            "--Storage:ConnectionString=" + sqliteConnectionString,
            "--Auth:IngestKey=" + IngestKey,
            "--Auth:AdminPassword=" + AdminPassword,
            "--Limits:RequestsPerIpPerSecond=1000000",
            "--Limits:EventsPerShopperPerSecond=100000",
            "--Limits:HubConnectionsPerIp=1000000", // every load connection comes from one address
            "--Logging:LogLevel:Default=Warning",
        ],
        builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            configure?.Invoke(builder);
        });

    public static async Task StopAsync(WebApplication app)
    {
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
    }
}
