namespace CartRecovery.Persistence.Tests.Support;

// A cart-like state: nested objects, a list, offsets, nullable fields.
public sealed class CartDoc
{
    public string Shopper { get; set; } = "";

    public List<CartLine> Lines { get; set; } = [];

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? AbandonedAt { get; set; }

    public decimal? Discount { get; set; }

    public Address? ShipTo { get; set; }

    public CartStage Stage { get; set; }

    public Dictionary<string, double> Scores { get; set; } = [];
}

public sealed class CartLine
{
    public string Sku { get; set; } = "";

    public int Quantity { get; set; }

    public decimal Price { get; set; }

    public string? Note { get; set; }
}

public sealed class Address
{
    public string City { get; set; } = "";

    public string? Zip { get; set; }
}

public enum CartStage
{
    Active,
    Abandoned,
    Recovered,
}

// A small state for concurrency tests.
public sealed class Counter
{
    public int Value { get; set; }

    public string Writer { get; set; } = "";
}
