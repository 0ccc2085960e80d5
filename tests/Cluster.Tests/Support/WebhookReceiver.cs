using System.Collections.Concurrent;
using System.Net;

namespace CartRecovery.Cluster.Tests.Support;

/// <summary>
/// The store's messaging tool: receives the silos' off-site nudge webhooks and counts them by
/// nudge id (the X-CartRecovery-Nudge-Id header). Deliveries are at-least-once; the id makes
/// them idempotent.
/// </summary>
internal sealed class WebhookReceiver : IDisposable
{
    public const string Secret = "cluster-tests-webhook-secret";

    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, int> _received = new();
    private readonly Task _loop;

    public WebhookReceiver()
    {
        Port = ClusterPaths.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    /// <summary>Silo arguments that send off-site nudges here.</summary>
    public string[] SiloArguments => [$"--Webhook:Url=http://127.0.0.1:{Port}/nudges", $"--Webhook:Secret={Secret}"];

    /// <summary>Deliveries per nudge id.</summary>
    public IReadOnlyDictionary<string, int> Received => _received;

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            if (context.Request.Headers["X-CartRecovery-Nudge-Id"] is { Length: > 0 } id)
            {
                _received.AddOrUpdate(id, 1, (_, n) => n + 1);
            }

            context.Response.StatusCode = 204;
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
