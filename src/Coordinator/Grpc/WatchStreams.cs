namespace Partitioned.Coordination;

/// <summary>
/// The open Watch streams, counted in total and per credential (the cluster token, each client key), so that no
/// credential, and no number of them together, holds more than its limit. Only callers with a valid credential get
/// this far, so the per-credential counts are bounded by the credentials the cluster issued.
/// </summary>
internal sealed class WatchStreams(int maxStreams, int maxPerCredential, int credentials)
{
    private readonly Lock _gate = new();
    private readonly int[] _perCredential = new int[credentials];
    private int _total;

    /// <summary>How many Watch streams are open now.</summary>
    public int Open
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }
    }

    /// <summary>Takes a slot for a stream of <paramref name="credential"/>, or returns null and why when a limit is reached.</summary>
    public Lease? TryOpen(int credential, out string? refusal)
    {
        lock (_gate)
        {
            if (_perCredential[credential] >= maxPerCredential)
            {
                refusal = $"This credential already holds {maxPerCredential} Watch streams, the most one credential may hold (CoordinatorOptions.MaxWatchStreamsPerCredential); close one, or share one stream within a process.";
                return null;
            }

            if (_total >= maxStreams)
            {
                refusal = $"The coordinator already serves {maxStreams} Watch streams, the most it serves at once (CoordinatorOptions.MaxWatchStreams); retry later.";
                return null;
            }

            _perCredential[credential]++;
            _total++;
        }

        refusal = null;
        return new Lease(this, credential);
    }

    private void Close(int credential)
    {
        lock (_gate)
        {
            _perCredential[credential]--;
            _total--;
        }
    }

    /// <summary>One open stream's slot; disposing it (once) gives the slot back.</summary>
    internal sealed class Lease(WatchStreams owner, int credential) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                owner.Close(credential);
            }
        }
    }
}
