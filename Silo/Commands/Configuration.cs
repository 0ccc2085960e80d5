using System.CommandLine;
using Microsoft.Extensions.Configuration;

namespace CartRecovery.Silo.Commands;

/// <summary>
/// Tools read the same configuration as the server: appsettings, environment, and settings given on
/// their command line as --Section:Key=value (the parser leaves these unmatched; anything else unmatched is an error).
/// </summary>
internal static class ToolConfiguration
{
    public const string Hint = "settings are given as --Section:Key=value";

    private static readonly Argument<string[]> SettingsArgument = CreateSettingsArgument();

    /// <summary>Makes a command accept --Section:Key=value settings besides its own options.</summary>
    public static Command AcceptSettings(this Command command)
    {
        command.Add(SettingsArgument);
        return command;
    }

    /// <summary>The --Section:Key=value settings of a parsed command line, keyed "Section:Key".</summary>
    public static Dictionary<string, string?> Settings(ParseResult result) =>
        (result.GetValue(SettingsArgument) ?? []).Select(t => t[2..].Split('=', 2)).ToDictionary(kv => kv[0], kv => (string?)kv[1]);

    private static Argument<string[]> CreateSettingsArgument()
    {
        var argument = new Argument<string[]>("settings")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = "configuration as --Section:Key=value, over appsettings.json and environment variables",
        };
        argument.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => !IsSetting(t.Value)))
            {
                result.AddError($"unexpected argument '{token.Value}' ({Hint})");
            }
        });
        return argument;
    }

    public static IConfiguration Build(ParseResult result)
    {
        var environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? "Production";
        return new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(Settings(result))
            .Build();
    }

    private static bool IsSetting(string token) =>
        token.StartsWith("--", StringComparison.Ordinal) && token.IndexOf(':') is > 2 and var colon && token.IndexOf('=', colon) > colon;
}
