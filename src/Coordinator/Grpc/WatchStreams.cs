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
    private readonly HashSet<Lease> _leases = [];
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
            refusal = null;
            var lease = new Lease(this, credential);
            _leases.Add(lease);
            return lease;
        }
    }

    /// <summary>
    /// True when every open stream has been handed directory version <paramref name="version"/> or a later one (a scale-down
    /// waits for it before draining a replica). Handed to the transport, not applied by the client: the client does not
    /// acknowledge what it applied, so the wait that uses this is bounded by time as well.
    /// </summary>
    public bool AllSent(long version)
    {
        lock (_gate)
        {
            return _leases.All(lease => Volatile.Read(ref lease.SentVersion) >= version);
        }
    }

    private void Close(Lease lease, int credential)
    {
        lock (_gate)
        {
            _leases.Remove(lease);
            _perCredential[credential]--;
            _total--;
        }
    }

    /// <summary>One open stream's slot; disposing it (once) gives the slot back.</summary>
    internal sealed class Lease(WatchStreams owner, int credential) : IDisposable
    {
        // The last directory version written to the stream (a snapshot's or a change's).
        internal long SentVersion;
        private int _closed;

        /// <summary>Notes that the stream was handed <paramref name="version"/>.</summary>
        public void Sent(long version) => Volatile.Write(ref SentVersion, version);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                owner.Close(this, credential);
            }
        }
    }
}
