using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace CartRecovery.Bench.Support;

/// <summary>
/// An admin looking at both dashboards, as a browser would: logged in with <c>POST /v1/auth/login</c>
/// (bearer token + the admin cookie scoped to /dashboard), our business dashboard connected to
/// <c>/hubs/admin</c> with the real SignalR client (it counts the pushed snapshots), and the Orleans
/// Dashboard's overview page polled with the cookie as its script does: <c>DashboardCounters</c> and
/// <c>ClusterStats</c> then <c>TopGrainMethods</c>, once a second.
/// </summary>
internal sealed class AdminViewers : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private HubConnection? _hub;
    private Task _poller = Task.CompletedTask;
    private long _snapshots;
    private long _polls;
    private long _pollFailures;
    private int _methodsSeen;
    private readonly List<double> _pollMs = new();

    private AdminViewers(HttpClient http) => _http = http;

    public long Snapshots => Interlocked.Read(ref _snapshots);

    public long Polls => Interlocked.Read(ref _polls);

    public long PollFailures => Interlocked.Read(ref _pollFailures);

    public string? FirstPollError { get; private set; }

    /// <summary>Most grain methods the Orleans Dashboard listed in one answer (0: its profiler saw no calls).</summary>
    public int MethodsSeen => Volatile.Read(ref _methodsSeen);

    public double[] PollLatenciesMs()
    {
        lock (_pollMs)
        {
            return [.. _pollMs];
        }
    }

    public static async Task<AdminViewers> OpenAsync(string baseAddress, bool ours, bool orleans, CancellationToken cancellationToken)
    {
        var http = new HttpClient(new SocketsHttpHandler { CookieContainer = new CookieContainer(), UseCookies = true }) { BaseAddress = new Uri(baseAddress) };
        var viewers = new AdminViewers(http);
        using var login = await http.PostAsJsonAsync("/v1/auth/login", new Dictionary<string, string> { ["username"] = "admin", ["password"] = ProductApp.AdminPassword }, cancellationToken);
        var text = await login.Content.ReadAsStringAsync(cancellationToken);
        if (!login.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"admin login failed: {(int)login.StatusCode} {text}");
        }

        var token = JsonDocument.Parse(text).RootElement.GetProperty("token").GetString()!;
        if (orleans)
        {
            foreach (var page in new[] { "/dashboard/", "/dashboard/version" })
            {
                using var response = await http.GetAsync(page, cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"GET {page} with the admin cookie: {(int)response.StatusCode}");
                }
            }

            viewers._poller = viewers.PollAsync(viewers._stop.Token);
        }

        if (ours)
        {
            viewers._hub = new HubConnectionBuilder()
                .WithUrl(baseAddress + "/hubs/admin", o =>
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                    o.Transports = HttpTransportType.WebSockets;
                    o.SkipNegotiation = true;
                })
                .Build();
            viewers._hub.On<JsonElement>("snapshot", _ => Interlocked.Increment(ref viewers._snapshots));
            await viewers._hub.StartAsync(cancellationToken);
        }

        return viewers;
    }

    private async Task PollAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            do
            {
                await Task.WhenAll(GetAsync("DashboardCounters", ct), OverviewAsync(ct));
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task OverviewAsync(CancellationToken ct)
    {
        await GetAsync("ClusterStats", ct);
        var methods = await GetAsync("TopGrainMethods", ct);
        if (methods is { ValueKind: JsonValueKind.Object } root)
        {
            var count = root.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Array).Sum(p => p.Value.GetArrayLength());
            InterlockedMax(ref _methodsSeen, count);
        }
    }

    private async Task<JsonElement?> GetAsync(string api, CancellationToken ct)
    {
        var t0 = Stopwatch.GetTimestamp();
        try
        {
            using var response = await _http.GetAsync("/dashboard/" + api, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            Interlocked.Increment(ref _polls);
            lock (_pollMs)
            {
                _pollMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }

            if (!response.IsSuccessStatusCode)
            {
                Fail($"GET /dashboard/{api}: {(int)response.StatusCode}");
                return null;
            }

            return JsonDocument.Parse(body).RootElement;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            Fail($"GET /dashboard/{api}: {e.GetType().Name} {e.Message}");
            return null;
        }
    }

    private void Fail(string error)
    {
        Interlocked.Increment(ref _pollFailures);
        FirstPollError ??= error;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _poller;
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }

        _http.Dispose();
        _stop.Dispose();
    }
}
