using CartRecovery.Gateway.Hosting;
using CartRecovery.Gateway.Security;
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
