using System.Runtime.CompilerServices;
using System.Text.Json;
using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Json;
using CartRecovery.Persistence;

namespace CartRecovery.Grains.Reports;

/// <summary>Carts as the grain storage holds them, streamed row by row.</summary>
public sealed class StoredCartStates(IGrainStateStore store) : ICartStateSource
{
    public async IAsyncEnumerable<CartState> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var (_, json) in store.ScanAsync("cart", "cart", cancellationToken))
        {
            if (JsonSerializer.Deserialize(json, GrainsJsonContext.Default.CartState) is { } cart)
            {
                // Readers never need the event records, the bulk of a cart.
                cart.Events = [];
                yield return cart;
            }
        }
    }
}
