using CartRecovery.Grains.Abstractions.Carts;

namespace CartRecovery.Grains.Reports;

/// <summary>
/// Every stored cart, read from grain storage rather than through grain calls (reports and model
/// training read all carts; activating each one would load the whole population into memory).
/// </summary>
public interface ICartStateSource
{
    /// <summary>Stored carts without their event records (the bulk of a cart, which readers never need).</summary>
    IAsyncEnumerable<CartState> ReadAllAsync(CancellationToken cancellationToken);
}
