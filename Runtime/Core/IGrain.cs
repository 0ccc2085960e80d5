namespace CartRecovery.Runtime;

/// <summary>
/// Optional marker for grain interfaces. Any interface registered with AddGrain works (so contract
/// assemblies need no reference to the runtime); every method must return <see cref="Task"/> or <see cref="Task{T}"/>.
/// </summary>
public interface IGrain;

/// <summary>Grains that receive durable reminders.</summary>
public interface IRemindable : IGrain
{
    Task ReceiveReminder(string reminderName, TickStatus status);
}

/// <summary>When a reminder tick was due and when it ran.</summary>
public readonly record struct TickStatus(DateTimeOffset DueAt, DateTimeOffset CurrentTime, TimeSpan? Period);

/// <summary>Why an activation is going away.</summary>
public enum DeactivationReason
{
    IdleCollection,
    ApplicationRequested,
    PartitionReleased,
    ShuttingDown,
    StateConflict,
}

/// <summary>Gets typed references to grains by key.</summary>
public interface IGrainFactory
{
    TGrain GetGrain<TGrain>(string key) where TGrain : class;
}

/// <summary>Marks a grain constructor parameter of type <see cref="IPersistentState{T}"/>.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class PersistentStateAttribute(string stateName) : Attribute
{
    public string StateName { get; } = stateName;
}
