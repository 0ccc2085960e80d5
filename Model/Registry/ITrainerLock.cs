namespace CartRecovery.Model.Registry;

/// <summary>
/// Proof of holding the cluster-wide trainer lock, so only one silo trains and registers a model at a time.
/// Disposing releases it; a crashed holder's lock is freed by the database (PostgreSQL) or expires (SQLite).
/// </summary>
public interface ITrainerLock : IAsyncDisposable
{
    string Holder { get; }
}
