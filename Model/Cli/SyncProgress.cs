namespace CartRecovery.Model.Cli;

/// <summary>Reports on the caller's thread; Progress&lt;T&gt; would post to the thread pool and lines could arrive out of order or after exit.</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
