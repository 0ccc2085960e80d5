using CartRecovery.Gateway.Hosting;

namespace CartRecovery.Silo.Commands;

/// <summary>Container HEALTHCHECK: GET /health/live on the local public port.</summary>
internal static class HealthcheckCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var configuration = ToolConfiguration.Build(args);
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
