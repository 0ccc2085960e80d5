using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;

namespace CartRecovery.Grains.Carts;

/// <summary>
/// Applies cart events in time order. Events that arrive late are inserted by occurred_at and the
/// cart's lines are re-derived from the ordered record, so the result does not depend on arrival order.
/// </summary>
internal static class CartFold
{
    /// <summary>How many event records a cart keeps for re-ordering; older ones are folded into its base.</summary>
    public const int MaxRecords = 400;

    /// <summary>Distinct SKUs a cart holds; an add of another SKU is refused (counted in lines_refused).</summary>
    public const int MaxLines = 100;

    /// <summary>Quantity of one line; adds and updates beyond it are capped.</summary>
    public const int MaxLineQuantity = 10_000;

    /// <summary>SKUs of an order kept in a purchase record (the cart's own first): one match is all a purchase needs.</summary>
    public const int MaxRecordSkus = 5;

    public static CartEventRecord ToRecord(StorefrontEvent e) => new()
    {
        EventId = e.EventId,
        Type = e.Type,
        At = e.OccurredAt,
        Sku = e.Item?.Sku,
        Name = e.Item?.Name,
        Price = e.Item?.Price ?? 0,
        Quantity = e.Item?.Quantity ?? 0,
        Currency = e.Item?.Currency ?? e.Order?.Currency,
        OrderId = e.Order?.OrderId,
        Total = e.Order?.Total ?? 0,
        Skus = e.Order?.Skus,
    };

    /// <summary>Inserts by time; returns true when the record went to the end (no re-fold needed).</summary>
    public static bool Insert(List<CartEventRecord> records, CartEventRecord record)
    {
        var i = records.Count;
        while (i > 0 && records[i - 1].At > record.At)
        {
            i--;
        }

        records.Insert(i, record);
        return i == records.Count - 1;
    }

    /// <summary>Applies one line-changing record. Purchases are handled by the grain (they need the nudge state).</summary>
    public static void ApplyLines(CartState cart, CartEventRecord r)
    {
        switch (r.Type)
        {
            case EventTypes.AddToCart:
            {
                if (Line(cart, r) is { } line)
                {
                    line.Quantity = (int)Math.Min(MaxLineQuantity, (long)line.Quantity + Math.Max(1, r.Quantity));
                    line.Price = r.Price;
                    line.Name = r.Name ?? line.Name;
                }

                cart.LastAddAt = cart.LastAddAt is { } last && last > r.At ? last : r.At;
                break;
            }

            case EventTypes.RemoveFromCart:
            {
                var line = cart.Lines.FirstOrDefault(l => l.Sku == r.Sku);
                if (line is not null)
                {
                    line.Quantity -= Math.Max(1, r.Quantity);
                    if (line.Quantity <= 0)
                    {
                        cart.Lines.Remove(line);
                    }
                }

                cart.Removals++;
                break;
            }

            case EventTypes.CartUpdate:
            {
                if (r.Quantity == 0)
                {
                    cart.Lines.RemoveAll(l => l.Sku == r.Sku);
                }
                else if (Line(cart, r) is { } line)
                {
                    line.Quantity = Math.Min(MaxLineQuantity, r.Quantity);
                    line.Price = r.Price;
                    line.Name = r.Name ?? line.Name;
                }

                break;
            }

            case EventTypes.CheckoutStarted:
                cart.CheckoutStep = Math.Max(cart.CheckoutStep, 1);
                break;
            case EventTypes.CheckoutStep:
                cart.CheckoutStep = Math.Max(cart.CheckoutStep, 2);
                break;
        }

        if (r.Currency is not null && r.Type != EventTypes.Purchase)
        {
            cart.Currency = r.Currency;
        }

        cart.Value = Math.Round(cart.Lines.Sum(l => l.Price * l.Quantity), 2);
    }

    /// <summary>The record's line, added when new; null when the cart is full (the add is refused and counted).</summary>
    private static CartLine? Line(CartState cart, CartEventRecord r)
    {
        var line = cart.Lines.FirstOrDefault(l => l.Sku == r.Sku);
        if (line is null)
        {
            if (cart.Lines.Count >= MaxLines)
            {
                cart.LinesRefused++;
                return null;
            }

            line = new CartLine { Sku = r.Sku!, Name = r.Name, Price = r.Price };
            cart.Lines.Add(line);
        }

        return line;
    }

    /// <summary>The cart as its base alone gives it: the starting point of a re-fold.</summary>
    public static void LoadBase(CartState cart)
    {
        var b = cart.Base;
        cart.Lines = b is null ? new() : b.Lines.Select(Copy).ToList();
        cart.Removals = b?.Removals ?? 0;
        cart.CheckoutStep = b?.CheckoutStep ?? 0;
        cart.LastAddAt = b?.LastAddAt;
        cart.Currency = b?.Currency;
        cart.LinesRefused = b?.LinesRefused ?? 0;
        cart.Value = Math.Round(cart.Lines.Sum(l => l.Price * l.Quantity), 2);
    }

    /// <summary>
    /// Folds the oldest records beyond <see cref="MaxRecords"/> into the cart's base and drops them;
    /// returns the ids dropped. The lines stay what base + records give, so nothing is lost.
    /// </summary>
    public static IReadOnlyList<string> Compact(CartState cart)
    {
        if (cart.Events.Count <= MaxRecords)
        {
            return [];
        }

        var drop = cart.Events.Count - MaxRecords;
        var scratch = new CartState { Base = cart.Base };
        LoadBase(scratch);
        var dropped = new List<string>(drop);
        for (var i = 0; i < drop; i++)
        {
            var r = cart.Events[i];
            dropped.Add(r.EventId);
            if (r.Type != EventTypes.Purchase)
            {
                ApplyLines(scratch, r);
            }
        }

        cart.Base = new CartBase
        {
            Lines = scratch.Lines,
            Removals = scratch.Removals,
            CheckoutStep = scratch.CheckoutStep,
            LastAddAt = scratch.LastAddAt,
            Currency = scratch.Currency,
            LinesRefused = scratch.LinesRefused,
            Through = cart.Base is { } b && b.Through > cart.Events[drop - 1].At ? b.Through : cart.Events[drop - 1].At,
            Records = (cart.Base?.Records ?? 0) + drop,
        };
        cart.Events.RemoveRange(0, drop);
        return dropped;
    }

    /// <summary>
    /// At most <see cref="MaxRecordSkus"/> of an order's SKUs, those the cart knows first: whether a
    /// purchase is this cart's needs one match, and an order may list 500.
    /// </summary>
    public static List<string>? BoundSkus(CartState cart, List<string>? skus)
    {
        if (skus is null || skus.Count <= MaxRecordSkus)
        {
            return skus;
        }

        bool Known(string sku) => cart.Lines.Any(l => l.Sku == sku) || (cart.Base?.Lines.Any(l => l.Sku == sku) ?? false) || cart.Events.Any(e => e.Sku == sku);
        return skus.Distinct(StringComparer.Ordinal).OrderBy(s => Known(s) ? 0 : 1).Take(MaxRecordSkus).ToList();
    }

    private static CartLine Copy(CartLine l) => new() { Sku = l.Sku, Name = l.Name, Price = l.Price, Quantity = l.Quantity };
}
