using System.Net;
using System.Text.RegularExpressions;
using CartRecovery.Gateway.Tests.Support;
using CartRecovery.TestSupport;

namespace CartRecovery.Gateway.Tests;

/// <summary>The OpenAPI document the app serves and the API reference in docs/api.md describe the same endpoints.</summary>
public sealed partial class OpenApiTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task The_openapi_document_and_docs_api_md_list_the_same_v1_endpoints()
    {
        var response = await app.GetAsync("openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        var served = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in response.Json.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                if (path.Name.StartsWith("/v1/", StringComparison.Ordinal))
                {
                    served.Add($"{operation.Name.ToUpperInvariant()} {Normalize(path.Name)}");
                }
            }
        }

        var documented = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match row in TableRow().Matches(File.ReadAllText(Path.Combine(SharedData.RepoRoot, "docs", "api.md"))))
        {
            foreach (var method in row.Groups["methods"].Value.Split('/', StringSplitOptions.TrimEntries))
            {
                documented.Add($"{method} {Normalize(row.Groups["path"].Value)}");
            }
        }

        Assert.NotEmpty(served);
        Assert.True(served.SetEquals(documented),
            $"only served: {string.Join(", ", served.Except(documented))}\nonly documented: {string.Join(", ", documented.Except(served))}");
    }

    /// <summary>Parameters by position, not name ({cart_id} and {cartId} are the same route); no query string.</summary>
    private static string Normalize(string path) => ParameterName().Replace(path.Split('?', 2)[0].Trim(), "{}");

    [GeneratedRegex(@"^\| (?<methods>[A-Z /]+?) \| `(?<path>/v1/[^`]*)`", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex ParameterName();
}
