namespace CartRecovery.Grains.Carts;

/// <summary>Keeps a cart's next deadline: the live silo uses a grain timer and a durable reminder; replay its own clock.</summary>
public interface ICartScheduler
{
    /// <summary>Sets the cart's next deadline (null: it needs none). Runs inside the cart's turn.</summary>
    Task ScheduleAsync(CartGrain cart, DateTimeOffset? due, DateTimeOffset now);
}
