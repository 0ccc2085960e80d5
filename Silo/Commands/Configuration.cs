using Microsoft.Extensions.Configuration;

namespace CartRecovery.Silo.Commands;

/// <summary>Tools read the same configuration as the server: appsettings, environment, command line.</summary>
internal static class ToolConfiguration
{
    public static IConfiguration Build(string[] args)
    {
        var environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? "Production";
        return new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains(':')).ToArray())
            .Build();
    }
}
