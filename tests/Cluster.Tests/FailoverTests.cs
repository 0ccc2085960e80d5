using System.Diagnostics;
using CartRecovery.Cluster.Tests.Support;
using CartRecovery.Grains.Abstractions.Events;
using Xunit.Abstractions;

namespace CartRecovery.Cluster.Tests;

/// <summary>
/// Three silos and two gateways in separate processes (Redis membership, PostgreSQL state); the
/// real REES46 log is sent through both gateways while one silo is killed with SIGKILL.
/// </summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Kill9_of_a_silo_mid_stream_loses_nothing_and_its_keys_and_deadlines_move_to_the_survivors()
    {
        await using var cluster = await ClusterHarness.StartAsync(output);
        var silos = await Task.WhenAll(cluster.StartSiloAsync("silo-1"), cluster.StartSiloAsync("silo-2"), cluster.StartSiloAsync("silo-3"));
        var gateways = await Task.WhenAll(cluster.StartGatewayAsync("gateway-a"), cluster.StartGatewayAsync("gateway-b"));

        // At least 50,000 real events, moved in time so the log ends a minute ago: every cart's
        // deadlines come due while the events flow, as they would live.
        var events = ReferenceCarts.RecentRees46(50_000);
        var batches = ReferenceCarts.InLanes(events, senders: 4);
        output.WriteLine($"{events.Count} events in {batches.Count} batches");

        // Fresh carts whose on-site and abandon deadlines come a few seconds after the kill.
        var fresh = Enumerable.Range(0, 60).Select(i => new StorefrontEvent
        {
            EventId = $"fresh-{i}",
            Type = EventTypes.AddToCart,
            ShopperId = $"fresh-shopper-{i}",
            SessionId = "fresh-session",
            CartId = "fresh-cart",
            OccurredAt = DateTimeOffset.UtcNow,
            Item = new ItemInfo { Sku = "sku-fresh", Price = 25, Quantity = 1 },
        }).ToList();

        var sent = 0;
        var kill = batches.Count * 2 / 5;
        var killed = 0;
        var victim = silos[1];
        var killedAt = Stopwatch.StartNew();
        var send = ReferenceCarts.SendInOrderAsync(batches, senders: 4, async (i, batch) =>
        {
            if (i >= kill && Interlocked.Exchange(ref killed, 1) == 0)
            {
                await cluster.IngestAsync(gateways[0], ReferenceCarts.Body(fresh));
                victim.Process.KillHard();
                killedAt.Restart();
                output.WriteLine($"killed {victim.Name} after batch {i}");
            }

            await cluster.IngestAsync(gateways[i % 2], ReferenceCarts.Body(batch));
            Interlocked.Increment(ref sent);
        });

        // The gateways answer for every fresh cart (a third of them lived on the dead silo) within 10 s.
        await Task.Delay(TimeSpan.FromSeconds(1));
        while (!victim.Process.HasExited)
        {
            await Task.Delay(50);
        }

        var answered = new HashSet<string>();
        while (answered.Count < fresh.Count && killedAt.Elapsed < TimeSpan.FromSeconds(30))
        {
            foreach (var e in fresh.Where(e => !answered.Contains(e.ShopperId)))
            {
                try
                {
                    if (await cluster.GetCartAsync(gateways[1], e.ShopperId, "fresh-cart", TimeSpan.FromSeconds(2)) is not null)
                    {
                        answered.Add(e.ShopperId);
                    }
                }
                catch (Exception ex) when (ex is InvalidOperationException or TaskCanceledException or HttpRequestException)
                {
                }
            }
        }

        var failover = killedAt.Elapsed;
        output.WriteLine($"all fresh carts answered {failover.TotalSeconds:0.0} s after the kill");
        Assert.Equal(fresh.Count, answered.Count);
        Assert.True(failover < TimeSpan.FromSeconds(10), $"the gateways answered for the dead silo's keys only {failover.TotalSeconds:0.0} s after the kill");

        await send;
        Assert.Equal(batches.Count(b => b.Count > 0), sent);

        // Deadlines of carts whose silo died still fire (from their reminders, on the survivors).
        // (Within a minute: the whole suite runs its assemblies side by side on two cores.)
        var abandoned = 0;
        var waiting = new List<string>();
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            abandoned = 0;
            waiting.Clear();
            foreach (var e in fresh)
            {
                var stage = (await cluster.GetCartAsync(gateways[0], e.ShopperId, "fresh-cart"))?.GetProperty("stage").GetString();
                if (stage is "abandoned" or "nudged")
                {
                    abandoned++;
                }
                else
                {
                    waiting.Add($"{e.ShopperId}: {stage ?? "not found"}");
                }
            }

            if (abandoned == fresh.Count)
            {
                break;
            }

            await Task.Delay(500);
        }

        output.WriteLine($"deadlines fired for {abandoned} of {fresh.Count} fresh carts; still waiting: {string.Join(", ", waiting)}");
        Assert.Equal(fresh.Count, abandoned);

        // Every cart equals the single-pass reference; no cart holds two nudges for one stage.
        var reference = await ReferenceCarts.ComputeAsync([.. batches, fresh], new Dictionary<string, string> { ["Policy:ExpireAfterHours"] = "24" });
        var stored = await cluster.StoredCartsAsync();
        var mismatches = reference.Where(r => !stored.TryGetValue(r.Key, out var s) || CartContent.Of(s) != r.Value).Select(r => r.Key).ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {reference.Count} carts differ from the reference, e.g. {string.Join(", ", mismatches.Take(5))}");
        Assert.Equal(reference.Count, stored.Count);
        foreach (var (key, cart) in stored)
        {
            var stages = cart.GetProperty("nudges").EnumerateArray().Select(n => n.GetProperty("stage").GetString()).ToList();
            Assert.True(stages.Distinct().Count() == stages.Count, $"{key}: two nudges for one stage");
        }
    }
}
