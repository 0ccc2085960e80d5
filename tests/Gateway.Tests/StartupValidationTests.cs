using CartRecovery.Gateway.Auth;
using CartRecovery.Gateway.Hosting;
using CartRecovery.Silo;
using CartRecovery.TestSupport;
using Microsoft.Extensions.Options;

namespace CartRecovery.Gateway.Tests;

/// <summary>
/// A misconfigured gateway refuses to start, naming every bad setting with its key, instead of
/// starting and answering 500 (or naming only the first problem).
/// </summary>
public sealed class StartupValidationTests : IDisposable
{
    private readonly TempDirectory _dir = new("cr-gateway-startup-");

    public void Dispose() => _dir.Dispose();

    /// <summary>Starts a Production app with these settings; the problems it refused to start with (none: it started).</summary>
    private async Task<IReadOnlyList<string>> StartupProblemsAsync(params string[] settings)
    {
        string[] args =
        [
            "--environment", "Production",
            "--Http:Port=0",
            "--Http:Host=127.0.0.1",
            $"--Storage:ConnectionString=Data Source={_dir.File("state.db")}",
            "--Logging:LogLevel:Default=None",
            .. settings,
        ];
        try
        {
            var app = await SiloApp.StartAsync(args);
            await app.StopAsync();
            await app.DisposeAsync();
            return [];
        }
        catch (Exception e)
        {
            var problems = OptionsProblems.Of(e);
            Assert.True(problems.Count > 0, $"start-up failed with something other than invalid options: {e}");
            return problems;
        }
    }

    private const string Key = "startup-tests-signing-key-0123456789abcdef";

    [Fact]
    public async Task Production_without_secrets_names_every_missing_setting()
    {
        var problems = await StartupProblemsAsync();
        Assert.Contains(problems, p => p.StartsWith("Auth:SigningKey", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Auth:AdminPassword", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_admin_password_without_a_signing_key_does_not_start()
    {
        var problems = await StartupProblemsAsync("--Auth:AdminPassword=a-long-enough-password");
        Assert.Equal(["Auth:SigningKey"], problems.Select(p => p.Split(' ')[0]));
    }

    [Fact]
    public async Task Bad_keys_passwords_users_and_limits_are_each_named()
    {
        var problems = await StartupProblemsAsync(
            $"--Auth:SigningKey={Key}",
            $"--Auth:ShopperTokenKey={Key}",
            "--Auth:AdminPassword=short",
            "--Auth:Users:0:Name=viewer",
            "--Auth:Users:0:Role=owner",
            "--Auth:Users:0:PasswordHash=plain-text",
            "--Limits:EventsPerShopperPerSecond=0",
            "--Limits:HubConnectionsPerIp=-1",
            "--Http:TrustedProxies:0=not-an-address",
            "--Cors:AllowedOrigins:0=https://shop.example/path");
        string[] expected =
        [
            "Auth:ShopperTokenKey", "Auth:AdminPassword", "Auth:Users:0:Role", "Auth:Users:0:PasswordHash",
            "Limits:EventsPerShopperPerSecond", "Limits:HubConnectionsPerIp", "Http:TrustedProxies:0", "Cors:AllowedOrigins:0",
        ];
        Assert.Equal(expected.Order(), problems.Select(p => p.Split(' ')[0]).Order());
    }

    [Fact]
    public async Task Valid_production_settings_start()
    {
        Assert.Empty(await StartupProblemsAsync(
            $"--Auth:SigningKey={Key}",
            "--Auth:ShopperTokenKey=startup-tests-store-backend-key-0123456789",
            $"--Auth:AdminPasswordHash={PasswordHasher.Hash("a-long-enough-password")}",
            "--Http:TrustedProxies:0=10.0.0.0/8",
            "--Http:TrustedProxies:1=192.168.1.5"));
    }

    [Theory]
    [InlineData("two")]
    [InlineData("-1")]
    [InlineData("61")]
    public async Task A_write_behind_delay_that_is_not_0_to_60_seconds_is_named(string seconds)
    {
        var problems = await StartupProblemsAsync($"--Auth:SigningKey={Key}", "--Auth:AdminPassword=a-long-enough-password", $"--Storage:WriteBehindSeconds={seconds}");

        var problem = Assert.Single(problems);
        Assert.StartsWith("Storage:WriteBehindSeconds ", problem, StringComparison.Ordinal);
        Assert.Contains($"'{seconds}'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Problems_are_read_from_one_or_several_validation_failures()
    {
        var one = new OptionsValidationException("Auth", typeof(AuthOptions), ["Auth:SigningKey is required", "Auth:AdminPassword is required"]);
        var two = new OptionsValidationException("Limits", typeof(LimitsOptions), ["Limits:HubConnectionsPerIp must be between 1 and 2147483647"]);
        Assert.Equal(2, OptionsProblems.Of(one).Count);
        Assert.Equal(3, OptionsProblems.Of(new AggregateException(one, two)).Count);
        Assert.Empty(OptionsProblems.Of(new InvalidOperationException("something else")));
        Assert.Empty(OptionsProblems.Of(new AggregateException(one, new InvalidOperationException("something else"))));
    }
}
