using System.Diagnostics.Metrics;
using CartRecovery.Persistence.Diagnostics;

namespace CartRecovery.Bench.Storage;

/// <summary>Totals of the group-commit instruments, to report how many writes shared a transaction.</summary>
internal sealed class StorageMeterTap : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _transactions;
    private long _states;
    private double _commitSeconds;

    public StorageMeterTap()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == StorageMetrics.MeterName
                && instrument.Name is StorageMetrics.TransactionsCommitted or StorageMetrics.StatesWritten or StorageMetrics.CommitDuration)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == StorageMetrics.TransactionsCommitted)
            {
                Interlocked.Add(ref _transactions, value);
            }
            else
            {
                Interlocked.Add(ref _states, value);
            }
        });
        _listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (_listener)
            {
                _commitSeconds += value;
            }
        });
        _listener.Start();
    }

    public (long Transactions, long States, double CommitSeconds) Totals
    {
        get
        {
            lock (_listener)
            {
                return (Interlocked.Read(ref _transactions), Interlocked.Read(ref _states), _commitSeconds);
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
