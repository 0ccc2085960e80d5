using CartRecovery.Gateway.Hosting;
using CartRecovery.Gateway.Security;
using CartRecovery.Gateway.Tests.Support;
using Microsoft.Extensions.Options;

namespace CartRecovery.Gateway.Tests;

/// <summary>Event batches are admitted a bounded number at a time, the rest wait in arrival order, a full line refuses.</summary>
public sealed class IngestAdmissionTests
{
    [Fact]
    public async Task Batches_beyond_the_concurrency_wait_in_order_and_a_full_line_refuses()
    {
        using var limits = new ClientLimits(Options.Create(new LimitsOptions { IngestConcurrency = 2, IngestQueue = 2 }));
        var first = await limits.EnterIngestAsync(CancellationToken.None);
        var second = await limits.EnterIngestAsync(CancellationToken.None);
        Assert.True(first.IsAcquired && second.IsAcquired);

        var third = limits.EnterIngestAsync(CancellationToken.None);
        var fourth = limits.EnterIngestAsync(CancellationToken.None);
        Assert.False(third.IsCompleted);
        Assert.False(fourth.IsCompleted);

        using (var refused = await limits.EnterIngestAsync(CancellationToken.None))
        {
            Assert.False(refused.IsAcquired);
        }

        first.Dispose();
        using (var admitted = await third.AsTask().WaitAsync(TimeSpan.FromSeconds(5)))
        {
            Assert.True(admitted.IsAcquired);
            Assert.False(fourth.IsCompleted);
        }

        using (var last = await fourth.AsTask().WaitAsync(TimeSpan.FromSeconds(5)))
        {
            Assert.True(last.IsAcquired);
        }

        second.Dispose();
    }
}

/// <summary>The gateway with one event batch applied at a time and one waiting.</summary>
public sealed class SingleIngestGatewayApp : GatewayApp
{
    protected override IEnumerable<string> ExtraArgs => ["--Limits:IngestConcurrency=1", "--Limits:IngestQueue=1"];
}

/// <summary>A client that sends its body slowly holds no place in the ingest line.</summary>
public sealed class SlowSenderTests(SingleIngestGatewayApp app) : IClassFixture<SingleIngestGatewayApp>
{
    [Fact]
    public async Task Batches_go_through_while_slow_senders_are_still_sending()
    {
        var releases = new List<TaskCompletionSource>();
        var slow = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < 3; i++)
        {
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var request = new HttpRequestMessage(HttpMethod.Post, "v1/events") { Content = new SlowContent(Events.PageView("slow-" + i).ToJsonString(), release.Task) };
            request.Headers.Add("X-Api-Key", GatewayApp.IngestKey);
            releases.Add(release);
            slow.Add(app.Http.SendAsync(request));
        }

        // More slow senders than places and waiting room together: had they queued (or been
        // admitted) before their bodies were in, these would wait or be refused.
        for (var i = 0; i < 3; i++)
        {
            var response = await app.PostEventsAsync(Events.PageView("fast-" + i));
            Assert.True(response.Status == System.Net.HttpStatusCode.OK, response.ToString());
        }

        Assert.All(slow, t => Assert.False(t.IsCompleted));
        for (var i = 0; i < slow.Count; i++)
        {
            releases[i].SetResult();
            using var response = await slow[i].WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
    }

    /// <summary>Sends the first byte of a JSON body, then the rest once released.</summary>
    private sealed class SlowContent(string json, Task release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(json);
            await stream.WriteAsync(bytes.AsMemory(0, 1));
            await stream.FlushAsync();
            await release;
            await stream.WriteAsync(bytes.AsMemory(1));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
