using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CartRecovery.Gateway.Auth;
using CartRecovery.Silo;
using CartRecovery.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CartRecovery.Gateway.Tests.Support;

/// <summary>An HTTP answer read to the end: status, body text and headers.</summary>
public sealed class ApiResponse(HttpStatusCode status, string body, HttpResponseHeaders headers, HttpContentHeaders content)
{
    public HttpStatusCode Status { get; } = status;

    public string Body { get; } = body;

    public HttpResponseHeaders Headers { get; } = headers;

    public HttpContentHeaders ContentHeaders { get; } = content;

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>The <c>error</c> of an ApiError body.</summary>
    public string Error => Json.GetProperty("error").GetString()!;

    public override string ToString() => $"{(int)Status} {Body}";
}

/// <summary>
/// The real app (silo with co-hosted gateway, SQLite state in a temp directory) on a free port,
/// configured so that an idle cart of a connected shopper gets an on-site nudge about a second
/// after its last event. One per test class.
/// </summary>
public class GatewayApp : IAsyncLifetime, IAsyncDisposable
{
    public const string IngestKey = "test-key";
    public const string AdminUser = "admin";
    public const string AdminPassword = "gateway-tests-admin-password";
    public const string ViewerUser = "viewer";
    public const string ViewerPassword = "gateway-tests-viewer-password";
    public const string SigningKey = "gateway-tests-signing-key-0123456789abcdef";
    public const string ShopperTokenKey = "gateway-tests-store-backend-shopper-token-key";
    public const string AllowedOrigin = "https://shop.example";

    private readonly TempDirectory _dir = new("cr-gateway-");
    private string? _adminToken;

    public WebApplication App { get; private set; } = null!;

    /// <summary>What the app logged at Warning and above.</summary>
    public LogCapture Logs { get; } = new();

    public string BaseAddress { get; private set; } = "";

    public HttpClient Http { get; private set; } = null!;

    public T Service<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>More command-line settings, after the defaults (a later setting wins).</summary>
    protected virtual IEnumerable<string> ExtraArgs => [];

    public async Task InitializeAsync()
    {
        App = await SiloApp.StartAsync(
        [
            "--environment", "Development",
            "--Http:Port=0",
            "--Http:Host=127.0.0.1",
            $"--Storage:ConnectionString=Data Source={_dir.File("state.db")}",
            $"--Auth:IngestKey={IngestKey}",
            $"--Auth:AdminUser={AdminUser}",
            $"--Auth:AdminPassword={AdminPassword}",
            $"--Auth:SigningKey={SigningKey}",
            $"--Auth:ShopperTokenKey={ShopperTokenKey}",
            $"--Auth:Users:0:Name={ViewerUser}",
            "--Auth:Users:0:Role=viewer",
            $"--Auth:Users:0:PasswordHash={PasswordHasher.Hash(ViewerPassword)}",
            $"--Cors:AllowedOrigins:0={AllowedOrigin}",
            "--Policy:OnsiteDelaySeconds=1",
            "--Policy:AbandonAfterSeconds=30",
            "--Policy:RiskThreshold=0",
            "--Policy:MinCartValue=0",
            "--Policy:ControlFraction=0",
            "--Policy:QuietHours:StartHour=0",
            "--Policy:QuietHours:EndHour=0",
            // Keep the test output readable: the app's JSON console logs warnings and errors only.
            "--Logging:LogLevel:Default=Warning",
            .. ExtraArgs,
        ], builder => builder.Logging.AddProvider(Logs));
        BaseAddress = SiloApp.BaseAddress(App).TrimEnd('/');
        Http = new HttpClient { BaseAddress = new Uri(BaseAddress + "/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }

        _dir.Dispose();
    }

    /// <summary>Sends a request and reads the whole answer.</summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, string? bearer = null, string? json = null, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return await ReadAsync(await Http.SendAsync(request));
    }

    public static async Task<ApiResponse> ReadAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            return new ApiResponse(response.StatusCode, body, response.Headers, response.Content.Headers);
        }
    }

    public Task<ApiResponse> GetAsync(string path, string? bearer = null) => SendAsync(HttpMethod.Get, path, bearer);

    /// <summary>POST /v1/events with the ingest key.</summary>
    public Task<ApiResponse> PostEventsAsync(JsonNode body) =>
        SendAsync(HttpMethod.Post, "v1/events", json: body.ToJsonString(), headers: new Dictionary<string, string> { ["X-Api-Key"] = IngestKey });

    /// <summary>POST /v1/events as a shopper (bearer token, no key).</summary>
    public Task<ApiResponse> PostEventsAsShopperAsync(JsonNode body, string shopperToken) =>
        SendAsync(HttpMethod.Post, "v1/events", bearer: shopperToken, json: body.ToJsonString());

    public async Task<ApiResponse> LoginResponseAsync(string user, string password) =>
        await SendAsync(HttpMethod.Post, "v1/auth/login", json: new JsonObject { ["username"] = user, ["password"] = password }.ToJsonString());

    public async Task<string> LoginAsync(string user, string password)
    {
        var response = await LoginResponseAsync(user, password);
        Assert.True(response.Status == HttpStatusCode.OK, $"login of {user}: {response}");
        return response.Json.GetProperty("token").GetString()!;
    }

    public async Task<string> AdminTokenAsync() => _adminToken ??= await LoginAsync(AdminUser, AdminPassword);

    /// <summary>
    /// A shopper token for a chosen shopper id, as a store backend would mint it (the public
    /// endpoint only renews anonymous visitor ids it issued itself).
    /// </summary>
    public Task<string> ShopperTokenAsync(string shopperId) =>
        Task.FromResult(Service<CartRecovery.Gateway.Auth.TokenService>().IssueShopper(shopperId).Token);

    /// <summary>A cart through the admin API, or null when it does not exist.</summary>
    public async Task<JsonElement?> GetCartAsync(string shopperId, string cartId)
    {
        var response = await GetAsync($"v1/carts/{Uri.EscapeDataString(cartId)}?shopper_id={Uri.EscapeDataString(shopperId)}", await AdminTokenAsync());
        if (response.Status == HttpStatusCode.NotFound)
        {
            return null;
        }

        Assert.True(response.Status == HttpStatusCode.OK, $"cart {shopperId}/{cartId}: {response}");
        return response.Json;
    }

    /// <summary>Opens the shopper hub with a token for the shopper.</summary>
    public async Task<HubConnection> ConnectShopperAsync(string shopperId) =>
        await HubClients.ConnectAsync(BaseAddress, "/hubs/shopper", await ShopperTokenAsync(shopperId));

    /// <summary>Polls until the condition holds or the time is up.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? within = null)
    {
        var limit = within ?? TimeSpan.FromSeconds(20);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what}: not reached within {limit.TotalSeconds:0} s (last value: {value})");
            }

            await Task.Delay(100);
        }
    }
}
