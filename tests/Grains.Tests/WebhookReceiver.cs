using System.Collections.Concurrent;
using System.Net;
using CartRecovery.Grains.Nudges;

namespace CartRecovery.Grains.Tests;

/// <summary>
/// A real HTTP endpoint for webhook nudges: fails the first N deliveries with 503, can hold each
/// answer for a while, and records the nudge ids it took and the most requests it held at once.
/// </summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly int _failFirst;
    private readonly TimeSpan _hold;
    private int _open;

    public WebhookReceiver(int failFirst = 0, TimeSpan hold = default)
    {
        _failFirst = failFirst;
        _hold = hold;

        // HttpListener cannot bind port 0: try random ports until one is free.
        for (var attempt = 1; ; attempt++)
        {
            var port = Random.Shared.Next(20000, 32000);
            Url = $"http://127.0.0.1:{port}/hook/";
            _listener.Prefixes.Add(Url);
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 20)
            {
                _listener.Prefixes.Clear();
            }
        }

        _ = Task.Run(LoopAsync);
    }

    public string Url { get; private set; } = "";

    public int Attempts;

    public string? Signature;

    public long Timestamp;

    /// <summary>The most requests this receiver held open at the same time.</summary>
    public int MaxOpen;

    /// <summary>Nudge ids (the idempotency header) of every successful delivery, repeats included.</summary>
    public ConcurrentQueue<string> DeliveredIds { get; } = new();

    public TaskCompletionSource<byte[]> Delivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(ctx));
        }
    }

    private async Task HandleAsync(HttpListenerContext ctx)
    {
        var open = Interlocked.Increment(ref _open);
        try
        {
            int seen;
            while ((seen = Volatile.Read(ref MaxOpen)) < open && Interlocked.CompareExchange(ref MaxOpen, open, seen) != seen)
            {
            }

            using var ms = new MemoryStream();
            await ctx.Request.InputStream.CopyToAsync(ms);
            if (_hold > TimeSpan.Zero)
            {
                await Task.Delay(_hold);
            }

            var n = Interlocked.Increment(ref Attempts);
            if (n <= _failFirst)
            {
                ctx.Response.StatusCode = 503;
                ctx.Response.Close();
                return;
            }

            Signature = ctx.Request.Headers[WebhookSender.SignatureHeader];
            Timestamp = long.Parse(Signature!.Split(',')[0][2..]);
            DeliveredIds.Enqueue(ctx.Request.Headers[WebhookSender.NudgeIdHeader] ?? "");
            ctx.Response.StatusCode = 200;
            ctx.Response.Close();
            Delivered.TrySetResult(ms.ToArray());
        }
        catch (Exception)
        {
            // The listener closed under a request.
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    public void Dispose() => _listener.Close();
}
