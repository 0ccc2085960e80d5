using System.CommandLine;
using CartRecovery.Gateway.Hosting;
using Microsoft.Extensions.Configuration;

namespace CartRecovery.Silo.Commands;

/// <summary>Container HEALTHCHECK: GET /health/live on the local public port.</summary>
internal static class HealthcheckCommand
{
    public static Command Create()
    {
        var command = new Command("healthcheck", "Exit 0 when GET /health/live answers on this machine's public port (Http:Port)").AcceptSettings();
        command.SetAction((result, ct) => RunAsync(ToolConfiguration.Build(result), ct));
        return command;
    }

    private static async Task<int> RunAsync(IConfiguration configuration, CancellationToken cancellationToken)
    {
        var http = configuration.GetSection(HttpOptions.Section).Get<HttpOptions>() ?? new HttpOptions();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync($"http://127.0.0.1:{http.Port}/health/live", cancellationToken);
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync("unhealthy: " + e.Message);
            return 1;
        }
    }
}
