using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Net.Http.Json;
using System.Text.Json;
using CartRecovery.Gateway.Auth;
using CartRecovery.Silo;
using CartRecovery.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace CartRecovery.Gateway.Tests.Browser;

/// <summary>Browser tests run one after another: each starts a silo and a Chromium, and both are heavy.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<ChromiumFixture>
{
    public const string Name = "Browser";
}

/// <summary>Debian's Chromium driven by Playwright (Playwright's own browser download is not used).</summary>
public sealed partial class ChromiumFixture : IAsyncLifetime
{
    private static readonly ConditionalWeakTable<IPage, ConcurrentQueue<string>> Errors = new();

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
    }

    /// <summary>A fresh context (its own localStorage, so a new visitor) with one page; its script and console errors are kept.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height } });
        context.SetDefaultTimeout(30_000); // generous: CI runs other test assemblies at the same time
        var page = await context.NewPageAsync();
        var errors = Errors.GetOrCreateValue(page);
        page.PageError += (_, message) => errors.Enqueue($"page error: {message}");
        page.Console += (_, message) =>
        {
            // API refusals the tests provoke on purpose (wrong password, invalid policy) are logged by Chromium too.
            if (message.Type == "error" && !ExpectedRefusal().IsMatch(message.Text))
            {
                errors.Enqueue($"console error: {message.Text}");
            }
        };
        return page;
    }

    /// <summary>Waits until the storefront's SDK reports a live hub connection.</summary>
    public static Task WaitConnectedAsync(IPage page) =>
        page.WaitForSelectorAsync("[data-testid=connection-status][data-state=connected]", new() { State = WaitForSelectorState.Attached });

    /// <summary>
    /// Waits until a dashboard tile's number (its data-value) satisfies the condition. Polls the DOM from
    /// here: the gateway's CSP forbids eval, which WaitForFunctionAsync needs.
    /// </summary>
    public static async Task<double> WaitForTileAsync(IPage page, string testId, Func<double, bool> condition, int timeoutMs = 30_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        var locator = page.Locator($"[data-testid={testId}] .value");
        while (true)
        {
            var raw = await locator.GetAttributeAsync("data-value");
            if (double.TryParse(raw, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) && condition(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{testId}: data-value '{raw}' did not reach the expected value within {timeoutMs} ms");
            }

            await Task.Delay(100);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^Failed to load resource: the server responded with a status of (400|401|403|409)")]
    private static partial System.Text.RegularExpressions.Regex ExpectedRefusal();

    /// <summary>Script errors and console errors (CSP violations among them) the page has had so far.</summary>
    public static IReadOnlyCollection<string> ErrorsOf(IPage page) => Errors.TryGetValue(page, out var list) ? list.ToArray() : [];

    /// <summary>Saves a screenshot under $CARTRECOVERY_ARTIFACTS/screenshots or else TestResults/screenshots of the test output.</summary>
    public static async Task ScreenshotAsync(IPage page, string name, bool fullPage = true)
    {
        var dir = Environment.GetEnvironmentVariable("CARTRECOVERY_ARTIFACTS") is { Length: > 0 } root
            ? Path.Combine(root, "screenshots")
            : Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new() { Path = Path.Combine(dir, name + ".png"), FullPage = fullPage });
    }
}

/// <summary>An embedded silo (gateway co-hosted, SQLite state) tuned so a nudge comes seconds after a cart goes idle.</summary>
public sealed class SiloFixture : IAsyncLifetime
{
    public const string AdminUser = "admin";
    public const string IngestKey = "browser-tests-ingest-key";
    public const string AdminPassword = "browser-test-admin-password";
    public const string ViewerUser = "viewer";
    public const string ViewerPassword = "browser-test-viewer-password";

    private readonly TempDirectory _dir = new("cr-gateway-browser-");
    private WebApplication? _app;

    public string BaseAddress { get; private set; } = "";

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _app = await SiloApp.StartAsync(
        [
            "--Http:Port=0",
            "--Http:Host=127.0.0.1",
            $"--Storage:ConnectionString=Data Source={_dir.File("state.db")}",
            "--Policy:OnsiteDelaySeconds=2",
            "--Policy:AbandonAfterSeconds=30",
            "--Policy:RiskThreshold=0",
            "--Policy:MinCartValue=0",
            "--Policy:ControlFraction=0",
            "--Auth:SigningKey=browser-tests-signing-key-0123456789abcdef",
            $"--Auth:IngestKey={IngestKey}",
            $"--Auth:AdminUser={AdminUser}",
            $"--Auth:AdminPassword={AdminPassword}",
            $"--Auth:Users:0:Name={ViewerUser}",
            "--Auth:Users:0:Role=viewer",
            $"--Auth:Users:0:PasswordHash={PasswordHasher.Hash(ViewerPassword)}",
        ]);
        BaseAddress = SiloApp.BaseAddress(_app).TrimEnd('/');
        Http = new HttpClient { BaseAddress = new Uri(BaseAddress + "/"), Timeout = TimeSpan.FromSeconds(15) };
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _dir.Dispose();
    }

    public async Task<string> LoginAsync(string user, string password)
    {
        using var res = await Http.PostAsJsonAsync("v1/auth/login", new { username = user, password });
        res.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await res.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>What the store backend would send: events with the ingest key (the only way revenue enters).</summary>
    public async Task<int> PostEventsAsStoreAsync(string json)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, "v1/events") { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        req.Headers.Add("X-Api-Key", IngestKey);
        using var res = await Http.SendAsync(req);
        return (int)res.StatusCode;
    }

    public async Task<(int Status, JsonDocument? Body)> SendAsync(HttpMethod method, string path, string token, string? json = null)
    {
        using var req = new HttpRequestMessage(method, path.TrimStart('/'));
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json is not null)
        {
            req.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        using var res = await Http.SendAsync(req);
        var text = await res.Content.ReadAsStringAsync();
        return ((int)res.StatusCode, text.Length > 0 ? JsonDocument.Parse(text) : null);
    }

    /// <summary>Polls until the condition holds (state is checkpointed asynchronously) or the time is up.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what}: not reached within {within.TotalSeconds:0} s (last value: {value})");
            }

            await Task.Delay(200);
        }
    }
}
