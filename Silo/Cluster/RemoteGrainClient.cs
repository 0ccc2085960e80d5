using System.Net;
using System.Net.Http.Json;
using CartRecovery.Gateway.Cluster;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Nudges;
using CartRecovery.Grains.Abstractions.Policy;
using CartRecovery.Grains.Abstractions.Shoppers;
using CartRecovery.Grains.Json;
using CartRecovery.Grains.Policy;
using CartRecovery.Runtime;
using CartRecovery.Runtime.Storage;

namespace CartRecovery.Silo.Cluster;

/// <summary>
/// Grain access from a gateway in a cluster: the key's partition is looked up in the ownership
/// table and the request forwarded to that silo's internal endpoint. A stale owner (421, or the
/// silo unreachable) refreshes the table and retries once. Partitions owned by a co-hosted silo
/// stay in process.
/// </summary>
internal sealed class RemoteGrainClient(IGrainStorage storage, PartitionMap map, IHttpClientFactory http, IServiceProvider services) : IGrainClient
{
    public static TimeSpan ForwardTimeout { get; set; } = TimeSpan.FromSeconds(3);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile Dictionary<int, string> _owners = new();
    private DateTimeOffset _refreshedAt = DateTimeOffset.MinValue;

    private GrainRuntime? Local => services.GetService(typeof(GrainRuntime)) as GrainRuntime;

    private LocalGrainClient? LocalClient => services.GetService(typeof(LocalGrainClient)) as LocalGrainClient;

    public Task<CartState?> GetCartAsync(string shopperId, string cartId, CancellationToken ct) =>
        SendAsync(shopperId, c => c.GetCartAsync(shopperId, cartId, ct),
            async (h, u) => await ReadOrNullAsync(await h.GetAsync($"{u}/internal/carts/{Uri.EscapeDataString(shopperId)}/{Uri.EscapeDataString(cartId)}", ct), GrainsJsonContext.Default.CartState, ct), ct);

    public Task<ShopperState?> GetShopperAsync(string shopperId, CancellationToken ct) =>
        SendAsync(shopperId, c => c.GetShopperAsync(shopperId, ct),
            async (h, u) => await ReadOrNullAsync(await h.GetAsync($"{u}/internal/shoppers/{Uri.EscapeDataString(shopperId)}", ct), GrainsJsonContext.Default.ShopperState, ct), ct);

    public Task<List<NudgeMessage>> ConnectAsync(string shopperId, CancellationToken ct) =>
        SendAsync(shopperId, c => c.ConnectAsync(shopperId, ct),
            async (h, u) => await ReadOrNullAsync(await h.PostAsync($"{u}/internal/shoppers/{Uri.EscapeDataString(shopperId)}/connect", null, ct), GrainsJsonContext.Default.ListNudgeMessage, ct) ?? [], ct);

    public Task DisconnectAsync(string shopperId, CancellationToken ct) =>
        SendAsync<bool>(shopperId, async c => { await c.DisconnectAsync(shopperId, ct); return true; },
            async (h, u) => { Check(await h.PostAsync($"{u}/internal/shoppers/{Uri.EscapeDataString(shopperId)}/disconnect", null, ct)); return true; }, ct);

    public Task<CampaignPolicy> GetPolicyAsync(CancellationToken ct) =>
        SendAsync(PolicyCache.GrainKey, c => c.GetPolicyAsync(ct),
            async (h, u) => (await ReadOrNullAsync(await h.GetAsync($"{u}/internal/policy", ct), GrainsJsonContext.Default.CampaignPolicy, ct))!, ct);

    public Task<CampaignPolicy> UpdatePolicyAsync(CampaignPolicy policy, long expectedVersion, CancellationToken ct) =>
        SendAsync(PolicyCache.GrainKey, c => c.UpdatePolicyAsync(policy, expectedVersion, ct), async (h, u) =>
        {
            using var response = await h.PutAsync($"{u}/internal/policy?expectedVersion={expectedVersion}", JsonContent.Create(policy, GrainsJsonContext.Default.CampaignPolicy), ct);
            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                throw new ArgumentException(await ErrorOf(response, ct));
            }

            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                throw new InconsistentStateException(await ErrorOf(response, ct));
            }

            return (await ReadOrNullAsync(response, GrainsJsonContext.Default.CampaignPolicy, ct))!;
        }, ct);

    private async Task<T> SendAsync<T>(string key, Func<LocalGrainClient, Task<T>> local, Func<HttpClient, string, Task<T>> remote, CancellationToken ct)
    {
        var partition = map.OfKey(key);
        for (var attempt = 0; ; attempt++)
        {
            if (Local is { } runtime && runtime.Owns(partition) && LocalClient is { } client)
            {
                try
                {
                    return await local(client);
                }
                catch (PartitionNotOwnedException) when (attempt == 0)
                {
                    continue;
                }
            }

            var owner = await OwnerAsync(partition, refresh: attempt > 0, ct)
                ?? throw new PartitionNotOwnedException(new GrainId("?", key), partition);
            try
            {
                var forward = http.CreateClient(nameof(RemoteGrainClient));

                // A frozen or dead owner must not hold the caller: give up fast, refresh, retry once.
                forward.Timeout = ForwardTimeout;
                return await remote(forward, owner);
            }
            catch (Exception e) when (attempt == 0 && e is StaleOwnerException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // The owner moved or died: refresh the ownership view and try once more.
            }
        }
    }

    private async Task<string?> OwnerAsync(int partition, bool refresh, CancellationToken ct)
    {
        if (!refresh && _owners.TryGetValue(partition, out var url) && DateTimeOffset.UtcNow - _refreshedAt < TimeSpan.FromSeconds(30))
        {
            return url;
        }

        await _refresh.WaitAsync(ct);
        try
        {
            var silos = (await storage.ListSilosAsync(ct)).ToDictionary(s => s.SiloId, s => s.InternalUrl);
            _owners = (await storage.ListPartitionsAsync(ct))
                .Where(p => p.Owner is not null && silos.ContainsKey(p.Owner))
                .ToDictionary(p => p.Partition, p => silos[p.Owner!].TrimEnd('/'));
            _refreshedAt = DateTimeOffset.UtcNow;
        }
        finally
        {
            _refresh.Release();
        }

        return _owners.GetValueOrDefault(partition);
    }

    private static async Task<T?> ReadOrNullAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken ct)
    {
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return default;
            }

            Check(response);
            return await response.Content.ReadFromJsonAsync(type, ct);
        }
    }

    private static void Check(HttpResponseMessage response)
    {
        if (response.StatusCode == HttpStatusCode.MisdirectedRequest)
        {
            throw new StaleOwnerException();
        }

        response.EnsureSuccessStatusCode();
    }

    private static async Task<string> ErrorOf(HttpResponseMessage response, CancellationToken ct) =>
        (await response.Content.ReadFromJsonAsync(Gateway.Api.GatewayJsonContext.Default.ApiError, ct))?.Error ?? response.ReasonPhrase ?? "error";

    private sealed class StaleOwnerException : Exception;
}
