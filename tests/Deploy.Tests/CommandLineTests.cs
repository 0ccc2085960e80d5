using CartRecovery.Deploy.Tests.Support;
using CartRecovery.TestSupport;

namespace CartRecovery.Deploy.Tests;

/// <summary>The published executable's verbs: help everywhere, clear errors, one line per bad setting.</summary>
[Collection(PublishedSiloCollection.Name)]
public sealed class CommandLineTests(PublishedSilo silo)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("--help")]
    [InlineData("migrate", "--help")]
    [InlineData("healthcheck", "--help")]
    [InlineData("replay", "--help")]
    [InlineData("model", "--help")]
    [InlineData("model", "fit", "--help")]
    [InlineData("model", "import", "--help")]
    [InlineData("help", "replay")]
    public async Task Every_verb_has_help_and_exits_0(params string[] args)
    {
        silo.EnsurePublished();
        var result = await ProcessRun.RunAsync(PublishedSilo.DotnetHost(), [silo.EntryPath, .. args], Timeout, Path.GetTempPath(), PublishedSilo.ImageEnvironment(Path.GetTempPath()));
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)} exited {result.ExitCode}:\n{result.Tail()}");
        Assert.Contains("sage", result.Tail(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_unknown_verb_is_refused_with_exit_2()
    {
        silo.EnsurePublished();
        var result = await ProcessRun.RunAsync(PublishedSilo.DotnetHost(), [silo.EntryPath, "migrat"], Timeout, Path.GetTempPath(), PublishedSilo.ImageEnvironment(Path.GetTempPath()));
        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public async Task Bad_settings_print_one_line_each_and_exit_1_without_a_stack_trace()
    {
        silo.EnsurePublished();
        var env = PublishedSilo.ImageEnvironment(Path.GetTempPath());
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        var result = await ProcessRun.RunAsync(PublishedSilo.DotnetHost(), [silo.EntryPath, "--Silo:Role=gateway", "--Http:Port=0"], Timeout, Path.GetTempPath(), env);
        Assert.Equal(1, result.ExitCode);
        var output = result.Tail();
        Assert.Contains("configuration: ", output, StringComparison.Ordinal);
        Assert.Contains("Silo:Role=gateway", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
