using CartRecovery.Grains.Abstractions.Carts;
using CartRecovery.Grains.Abstractions.Events;

namespace CartRecovery.Grains.Carts;

/// <summary>
/// Applies cart events in time order. Events that arrive late are inserted by occurred_at and the
/// cart's lines are re-derived from the ordered record, so the result does not depend on arrival order.
/// </summary>
internal static class CartFold
{
    /// <summary>How many event records a cart keeps for re-ordering; older ones are folded for good.</summary>
    public const int MaxRecords = 400;

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
                var line = Line(cart, r);
                line.Quantity += Math.Max(1, r.Quantity);
                line.Price = r.Price;
                line.Name = r.Name ?? line.Name;
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
                else
                {
                    var line = Line(cart, r);
                    line.Quantity = r.Quantity;
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

    private static CartLine Line(CartState cart, CartEventRecord r)
    {
        var line = cart.Lines.FirstOrDefault(l => l.Sku == r.Sku);
        if (line is null)
        {
            line = new CartLine { Sku = r.Sku!, Name = r.Name, Price = r.Price };
            cart.Lines.Add(line);
        }

        return line;
    }
}
