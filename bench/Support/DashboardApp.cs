using System.Text;
using System.Text.Json;
using CartRecovery.Gateway.Dashboard;
using CartRecovery.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace CartRecovery.Bench.Support;

/// <summary>The real app in process (embedded: silo + gateway, SQLite), as the dashboard bench runs it.</summary>
internal static class DashboardApp
{
    public const string IngestKey = "k";
    public const string AdminPassword = "adminadmin123";

    public static Task<WebApplication> StartAsync(string sqliteConnectionString, TimeProvider? dashboardClock = null) =>
        SiloApp.StartAsync(
        [
            "--environment", "Development",
            "--Http:Port=0",
            "--Storage:ConnectionString=" + sqliteConnectionString,
            "--Auth:IngestKey=" + IngestKey,
            "--Auth:AdminPassword=" + AdminPassword,
            "--Limits:RequestsPerIpPerSecond=1000000",
            "--Limits:EventsPerShopperPerSecond=100000",
            "--Logging:LogLevel:Default=Warning",
        ],
        builder =>
        {
            // stdout carries only the result line.
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            if (dashboardClock is not null)
            {
                // The last registration wins for both the hub and the hosted service.
                builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<DashboardService>(sp, dashboardClock));
            }
        });

    /// <summary>POST /v1/auth/login as the admin; returns the bearer token.</summary>
    public static async Task<string> LoginAsync(string baseAddress, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseAddress) };
        var body = JsonSerializer.Serialize(new Dictionary<string, string> { ["username"] = "admin", ["password"] = AdminPassword });
        using var response = await http.PostAsync("/v1/auth/login", new StringContent(body, Encoding.UTF8, "application/json"), cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"login failed: {(int)response.StatusCode} {text}");
        }

        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("token").GetString()!;
    }
}
