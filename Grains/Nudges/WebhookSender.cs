using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace CartRecovery.Grains.Nudges;

/// <summary>
/// Sends off-site nudges as signed webhooks with retries and backoff, at most
/// <see cref="WebhookOptions.MaxConcurrency"/> at a time, then records the outcome in the cart's
/// ledger. Nothing here needs to survive a restart: a nudge waits in its cart's outbox until an
/// outcome is recorded, and the cart's outbox reminder hands it over again. The receiver
/// deduplicates by the nudge id header.
/// </summary>
public sealed partial class WebhookSender : BackgroundService
{
    public const string SignatureHeader = "X-CartRecovery-Signature";
    public const string NudgeIdHeader = "X-CartRecovery-Nudge-Id";

    /// <summary>A full queue refuses new entries; they stay in their cart's outbox and come back with its reminder.</summary>
    private readonly Channel<(NudgeMessage Nudge, string CartKey)> _queue = Channel.CreateBounded<(NudgeMessage, string)>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Nudge ids queued or being sent, so an outbox re-send of one still in flight is a no-op.</summary>
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);

    private readonly SemaphoreSlim _slots;

    private readonly WebhookOptions _options;
    private readonly HttpClient _http;
    private readonly IGrainFactory _grains;
    private readonly Diagnostics.DomainMetrics _metrics;
    private readonly ILogger<WebhookSender> _log;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public WebhookSender(WebhookOptions options, IHttpClientFactory httpFactory, IGrainFactory grains, Diagnostics.DomainMetrics metrics, ILogger<WebhookSender> log, TimeProvider time)
    {
        _options = options;
        _http = httpFactory.CreateClient(nameof(WebhookSender));
        _http.Timeout = options.Timeout;
        _grains = grains;
        _metrics = metrics;
        _log = log;
        _time = time;
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TaskCanceledException>()
                    .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode == System.Net.HttpStatusCode.TooManyRequests),
            })
            .Build();
    }

    public bool Enabled => _options.Enabled;

    public TimeSpan RedeliverAfter => _options.RedeliverAfter;

    public void Enqueue(NudgeMessage nudge, string cartKey)
    {
        if (!_options.Enabled || !_inFlight.TryAdd(nudge.NudgeId, 0))
        {
            return;
        }

        if (!_queue.Writer.TryWrite((nudge, cartKey)))
        {
            _inFlight.TryRemove(nudge.NudgeId, out _);
            _metrics.Nudge(NudgeChannels.Webhook, "deferred");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (nudge, cartKey) in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            await _slots.WaitAsync(stoppingToken);
            _ = SendAndReleaseAsync(nudge, cartKey, stoppingToken);
        }
    }

    private async Task SendAndReleaseAsync(NudgeMessage nudge, string cartKey, CancellationToken cancellationToken)
    {
        try
        {
            await SendAsync(nudge, cartKey, cancellationToken);
        }
        finally
        {
            _inFlight.TryRemove(nudge.NudgeId, out _);
            _slots.Release();
        }
    }

    /// <summary>Signature over "timestamp.body", so a captured request cannot be replayed with another body.</summary>
    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var payload = new byte[prefix.Length + body.Length];
        prefix.CopyTo(payload, 0);
        body.CopyTo(payload.AsSpan(prefix.Length));
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), payload);
        return $"t={timestamp},v1={Convert.ToHexStringLower(mac)}";
    }

    private async Task SendAsync(NudgeMessage nudge, string cartKey, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(nudge, GrainsJsonContext.Default.NudgeMessage);
        var attempts = 0;
        var delivered = false;
        try
        {
            using var response = await _pipeline.ExecuteAsync(async ct =>
            {
                attempts++;
                using var request = new HttpRequestMessage(HttpMethod.Post, _options.Url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Add(SignatureHeader, Sign(_options.Secret!, _time.GetUtcNow().ToUnixTimeSeconds(), body));
                request.Headers.Add(NudgeIdHeader, nudge.NudgeId);
                return await _http.SendAsync(request, ct);
            }, cancellationToken);
            delivered = response.IsSuccessStatusCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: no outcome, so the nudge stays in the cart's outbox for the next start.
            return;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            LogGaveUp(_log, e, nudge.NudgeId, attempts);
        }

        _metrics.Nudge(NudgeChannels.Webhook, delivered ? "delivered" : "failed");
        try
        {
            await _grains.GetGrain<ICartGrain>(cartKey).RecordDelivery(nudge.NudgeId, delivered, attempts);
        }
        catch (Exception e)
        {
            LogRecordFailed(_log, e, nudge.NudgeId);
        }
    }

    [LoggerMessage(2100, LogLevel.Warning, "webhook for nudge {NudgeId} failed after {Attempts} attempts")]
    private static partial void LogGaveUp(ILogger logger, Exception error, string nudgeId, int attempts);

    [LoggerMessage(2101, LogLevel.Warning, "could not record the webhook outcome of nudge {NudgeId}")]
    private static partial void LogRecordFailed(ILogger logger, Exception error, string nudgeId);
}
