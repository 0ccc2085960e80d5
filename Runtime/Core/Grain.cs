namespace CartRecovery.Runtime;

/// <summary>
/// Base class of grain implementations. One turn runs at a time per activation, across awaits,
/// so grain code needs no locks. Correctness must never depend on <see cref="OnDeactivateAsync"/>:
/// it is best effort; checkpoints are what make state durable.
/// </summary>
public abstract class Grain
{
    private GrainActivation? _activation;

    internal GrainActivation Activation
    {
        get => _activation ?? throw new InvalidOperationException("grain is not attached to an activation");
        set => _activation = value;
    }

    public GrainId GrainId => Activation.Id;

    /// <summary>The grain's key (for compound keys, the whole "owner/rest" key).</summary>
    public string Key => Activation.Id.Key;

    protected IGrainFactory GrainFactory => Activation.Runtime.Factory;

    protected TimeProvider Time => Activation.Runtime.Time;

    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Deactivate this activation once the current turn ends.</summary>
    protected void DeactivateOnIdle() => Activation.DeactivateAfterTurn = true;

    /// <summary>Exempts this activation from idle collection while <paramref name="on"/>.</summary>
    protected void KeepAlive(bool on) => Activation.KeepAlive = on;

    /// <summary>
    /// A timer whose callback runs as a turn of this activation. Timers die with the activation;
    /// use reminders for anything that must survive a restart.
    /// </summary>
    protected IDisposable RegisterTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period) =>
        Activation.RegisterTimer(callback, dueTime, period);

    /// <summary>
    /// Registers or moves a durable reminder. It is stored with the partition's next checkpoint,
    /// together with the state changes of the same turn.
    /// </summary>
    protected void RegisterOrUpdateReminder(string name, TimeSpan dueTime, TimeSpan? period = null) =>
        Activation.Runtime.Reminders.Register(Activation, name, dueTime, period);

    protected void UnregisterReminder(string name) => Activation.Runtime.Reminders.Unregister(Activation, name);

    /// <summary>When this grain's reminder is next due, or null when it is not registered.</summary>
    protected DateTimeOffset? ReminderDueAt(string name) => Activation.Runtime.Reminders.DueAt(Activation.Id, name);
}
