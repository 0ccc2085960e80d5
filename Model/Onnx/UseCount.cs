namespace CartRecovery.Model.Onnx;

/// <summary>
/// Counts the uses of a resource that can be closed while in use: <see cref="Close"/> refuses new uses at once
/// and runs the release action when the last use in flight has ended (or at once when there is none).
/// </summary>
internal sealed class UseCount(Action release)
{
    // Uses in flight, plus one for the owner until Close; the resource is released when it reaches zero.
    private int _count = 1;
    private int _closed;

    /// <summary>
    /// Starts a use, or returns false once closed. A late caller holding a replaced scorer is refused rather than
    /// admitted, so a stream of them cannot keep the old resource alive for ever.
    /// </summary>
    public bool TryEnter()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            return false;
        }

        while (true)
        {
            var n = Volatile.Read(ref _count);
            if (n == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _count, n + 1, n) == n)
            {
                return true;
            }
        }
    }

    public void Exit()
    {
        if (Interlocked.Decrement(ref _count) == 0)
        {
            release();
        }
    }

    /// <summary>Drops the owner's use; idempotent.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            Exit();
        }
    }
}
