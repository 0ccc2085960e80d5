using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace CartRecovery.Cluster.Tests.Support;

/// <summary>The gateway's admin API as an operator uses it: log in, then read carts.</summary>
internal sealed class AdminClient : IDisposable
{
    private readonly HttpClient _http;

    private AdminClient(HttpClient http) => _http = http;

    public static async Task<AdminClient> LoginAsync(string gatewayUrl)
    {
        var http = new HttpClient { BaseAddress = new Uri(gatewayUrl), Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.PostAsJsonAsync("/v1/auth/login", new { username = "admin", password = TestCluster.AdminPassword });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"login failed: {(int)response.StatusCode} {text}");
        var token = JsonDocument.Parse(text).RootElement.GetProperty("token").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new AdminClient(http);
    }

    /// <summary>GET /v1/carts/{cart}?shopper_id=; the status code, or 0 when the request itself failed.</summary>
    public async Task<HttpStatusCode> GetCartStatusAsync(string cartKey, TimeSpan? timeout = null) => (await GetCartAsync(cartKey, timeout)).Status;

    /// <summary>GET /v1/carts/{cart}?shopper_id=; the status code (0 when the request failed) and the body or error.</summary>
    public async Task<(HttpStatusCode Status, string Detail)> GetCartAsync(string cartKey, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var slash = cartKey.IndexOf('/');
        var shopper = cartKey[..slash];
        var cart = cartKey[(slash + 1)..];
        try
        {
            using var response = await _http.GetAsync($"/v1/carts/{Uri.EscapeDataString(cart)}?shopper_id={Uri.EscapeDataString(shopper)}", cts.Token);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(cts.Token));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (0, e.GetType().Name + ": " + e.Message);
        }
    }

    public void Dispose() => _http.Dispose();
}
