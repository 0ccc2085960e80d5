using System.Text.Json;
using CartRecovery.Grains.Abstractions;
using CartRecovery.Grains.Abstractions.Events;
using CartRecovery.Grains.Common;
using CartRecovery.Grains.Json;
using CartRecovery.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Providers;

namespace CartRecovery.Grains.Ingestion;

/// <summary>
/// Write-behind shopper state for the embedded silo. A batch of events is appended to the event
/// journal (one entry per batch, in the storage's group commit) and the shopper grains apply it in
/// memory; the request is answered once the entry and every cart write it caused are durable. Each
/// shopper writes its own state <see cref="EventJournalOptions.FlushDelay"/> after it first changed
/// (or when it deactivates), so a burst of a shopper's batches costs one state write instead of one
/// each. An entry is held by the shoppers whose state does not yet include it and trimmed once none
/// does; the entries left after a crash are applied again at the next start, before the silo takes
/// events, and the shoppers drop the event ids they already stored.
/// </summary>
public sealed partial class EventJournal(EventJournalOptions options, IServiceProvider services, ILogger<EventJournal> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly Dictionary<long, HashSet<string>> _holds = [];
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private IEventJournalStore? _store;
    private GrainReferences? _grains;
    private long _last;
    private long _trimmedBelow;
    private Task _trimLoop = Task.CompletedTask;

    /// <summary>Whether ingestion goes through the journal (the embedded silo); otherwise every batch writes through.</summary>
    public bool Enabled => options.Enabled;

    /// <summary>How long a shopper's changed state waits in memory before it is written.</summary>
    public TimeSpan FlushDelay => options.FlushDelay;

    /// <summary>Completes when the entries found at start have been applied again.</summary>
    public Task Ready => Enabled ? _ready.Task : Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle)
    {
        if (!Enabled)
        {
            return;
        }

        // Replays at Active, once grains can be called; the last trim runs after the grains were
        // deactivated (and wrote their states) and before the storage closes.
        lifecycle.Subscribe(nameof(EventJournal), ServiceLifecycleStage.Active, StartAsync, _ => StopLoopAsync());
        lifecycle.Subscribe(nameof(EventJournal) + "-trim", ServiceLifecycleStage.RuntimeGrainServices, _ => Task.CompletedTask, _ => TrimAsync(CancellationToken.None));
    }

    /// <summary>
    /// Journals a batch and holds its entry for <paramref name="shoppers"/>: the entry stays until
    /// each of them released it. Returns the entry's number and the task of its append.
    /// </summary>
    public (long Sequence, Task Durable) Append(IReadOnlyList<StorefrontEvent> events, IEnumerable<string> shoppers)
    {
        // The events' wire JSON (docs/events.md) as validated: readable with any SQL client.
        var payload = JsonSerializer.SerializeToUtf8Bytes(events as List<StorefrontEvent> ?? [.. events], GrainsJsonContext.Default.ListStorefrontEvent);
        long sequence;
        lock (_gate)
        {
            // Numbered and held under the lock the trim takes: a trim never passes an entry being appended.
            sequence = ++_last;
            _holds[sequence] = new HashSet<string>(shoppers, StringComparer.Ordinal);
        }

        return (sequence, Store.AppendAsync(sequence, payload, CancellationToken.None));
    }

    /// <summary>The shopper's stored state includes the entry's events (or it had none to apply). Idempotent.</summary>
    public void Release(long sequence, string shopperId)
    {
        lock (_gate)
        {
            if (_holds.TryGetValue(sequence, out var holders) && holders.Remove(shopperId) && holders.Count == 0)
            {
                _holds.Remove(sequence);
            }
        }
    }

    /// <summary>
    /// The shopper's activation lost the effects of these entries (a failed batch or state write):
    /// they are applied again to a fresh activation, in order, in the background, until that works.
    /// </summary>
    public void ReplayLater(string shopperId, IReadOnlyCollection<long> sequences)
    {
        if (sequences.Count == 0)
        {
            return;
        }

        Log.ReplayScheduled(logger, shopperId, sequences.Count);
        _ = Task.Run(() => ReplayShopperAsync(shopperId, [.. sequences.Order()], _stopping.Token));
    }

    private IEventJournalStore Store => _store ??= services.GetRequiredKeyedService<IEventJournalStore>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);

    private GrainReferences Grains => _grains ??= services.GetRequiredService<GrainReferences>();

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReplayAllAsync(cancellationToken);
            _ready.TrySetResult();
        }
        catch (Exception e)
        {
            _ready.TrySetException(e);
            throw;
        }

        _trimLoop = Task.Run(() => TrimLoopAsync(_stopping.Token));
    }

    private async Task StopLoopAsync()
    {
        await _stopping.CancelAsync();
        await _trimLoop;
    }

    // Every entry left from the last run, applied again in order; each entry's shoppers in parallel.
    private async Task ReplayAllAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var (entries, events, failed) = (0, 0, 0);
        await foreach (var (sequence, payload) in Store.ReadAsync(0, long.MaxValue, cancellationToken))
        {
            var batch = Read(payload);
            var byShopper = EventGroups.ByShopper(batch);
            lock (_gate)
            {
                _last = Math.Max(_last, sequence);
                _holds[sequence] = new HashSet<string>(byShopper.Keys, StringComparer.Ordinal);
            }

            var calls = byShopper.Select(async group =>
            {
                try
                {
                    await Grains.Get<IShopperGrain>(group.Key).ApplyJournaled(new EventBatch(group.Value), sequence);
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref failed);
                    Log.ReplayFailed(logger, e, group.Key, sequence);
                    ReplayLater(group.Key, [sequence]);
                }
            });
            await Task.WhenAll(calls);
            entries++;
            events += batch.Count;
            if (entries % 1000 == 0)
            {
                Log.ReplayProgress(logger, entries, events, started.Elapsed.TotalSeconds);
            }
        }

        if (entries > 0)
        {
            Log.Replayed(logger, entries, events, failed, started.Elapsed.TotalSeconds);
        }
    }

    private async Task ReplayShopperAsync(string shopperId, List<long> sequences, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (sequences.Count > 0 && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                // A failed call may come back before its entry's append committed: give that time.
                await Task.Delay(delay, cancellationToken);
                var wanted = sequences.ToHashSet();
                await foreach (var (sequence, payload) in Store.ReadAsync(sequences[0], sequences[^1], cancellationToken))
                {
                    if (!wanted.Contains(sequence))
                    {
                        continue;
                    }

                    var mine = Read(payload).Where(e => e.ShopperId == shopperId).ToList();
                    if (mine.Count == 0)
                    {
                        Release(sequence, shopperId);
                    }
                    else
                    {
                        await Grains.Get<IShopperGrain>(shopperId).ApplyJournaled(new EventBatch(mine), sequence);
                    }

                    sequences.Remove(sequence);
                }

                // Entries not found were never stored (their append failed with the request): nothing to apply.
                foreach (var missing in sequences)
                {
                    Release(missing, shopperId);
                }

                sequences.Clear();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.ReplayFailed(logger, e, shopperId, sequences[0]);
                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
            }
        }
    }

    private async Task TrimLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await TrimAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    // Removes the entries below the oldest one still held.
    private async Task TrimAsync(CancellationToken cancellationToken)
    {
        long below;
        lock (_gate)
        {
            below = _last + 1;
            foreach (var sequence in _holds.Keys)
            {
                below = Math.Min(below, sequence);
            }
        }

        if (below <= _trimmedBelow)
        {
            return;
        }

        try
        {
            await Store.TrimBelowAsync(below, cancellationToken);
            _trimmedBelow = below;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The next tick tries again; entries kept longer are only replayed (and dropped) once more.
            Log.TrimFailed(logger, e, below);
        }
    }

    private static List<StorefrontEvent> Read(byte[] payload) =>
        JsonSerializer.Deserialize(payload, GrainsJsonContext.Default.ListStorefrontEvent) ?? throw new InvalidDataException("an event journal entry holds no events");

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Event journal: applying again {Entries} entries ({Events} events) left by the last run, {Seconds:0.0} s so far")]
        public static partial void ReplayProgress(ILogger logger, int entries, int events, double seconds);

        [LoggerMessage(2, LogLevel.Information, "Event journal: applied again {Entries} entries ({Events} events) left by the last run in {Seconds:0.0} s; {Failed} shopper batches failed and are retried in the background")]
        public static partial void Replayed(ILogger logger, int entries, int events, int failed, double seconds);

        [LoggerMessage(3, LogLevel.Warning, "Event journal: applying entry {Sequence} to shopper {ShopperId} again failed; retrying")]
        public static partial void ReplayFailed(ILogger logger, Exception exception, string shopperId, long sequence);

        [LoggerMessage(4, LogLevel.Warning, "Event journal: shopper {ShopperId} lost the unwritten effects of {Count} entries; applying them again")]
        public static partial void ReplayScheduled(ILogger logger, string shopperId, int count);

        [LoggerMessage(5, LogLevel.Warning, "Event journal: removing the entries below {Below} failed; retrying")]
        public static partial void TrimFailed(ILogger logger, Exception exception, long below);
    }
}

/// <summary>Write-behind settings (<c>Storage:WriteBehindSeconds</c>); only the embedded silo enables it.</summary>
public sealed class EventJournalOptions
{
    public bool Enabled { get; init; }

    public TimeSpan FlushDelay { get; init; } = TimeSpan.FromSeconds(2);
}
