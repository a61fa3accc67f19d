using System.Collections.Concurrent;
using Partitioned.Directories;

namespace Partitioned.Routing;

/// <summary>
/// Per replica attempt, cancellation tokens a request under way to it links to: <see cref="Signal.Suspected"/> fires
/// when the coordinator suspects the replica (a health check failed) while another healthy replica could take the
/// request, or loses it; <see cref="Signal.Lost"/> when it is lost, fails, stops or reports an error. A request for an
/// idempotent service follows the first (it goes to another replica at once); any other the second (it is answered
/// 502 at once instead of waiting out its deadline). When every replica is suspected, the likelier culprit is the
/// observer (a loaded driver), and moving requests between suspects gains nothing: then only loss fires. A replica
/// replaced while it drains (a rolling update) or retired by autoscaling fires nothing: what it holds, it answers.
/// </summary>
/// <remarks>
/// One per directory, shared by every router that follows it (<see cref="Of"/>), living as long as the directory. Only
/// replicas a request was sent to get an entry; an entry goes when its attempt ends.
/// </remarks>
internal sealed class ReplicaSignals
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IPartitionDirectory, ReplicaSignals> s_byDirectory = new();

    private readonly IPartitionDirectory _directory;
    private readonly ConcurrentDictionary<(int Partition, int Attempt), Signal> _signals = new();

    private ReplicaSignals(IPartitionDirectory directory)
    {
        _directory = directory;
        _directory.Changed += OnChanged;
    }

    /// <summary>The signals of <paramref name="directory"/>'s replicas.</summary>
    public static ReplicaSignals Of(IPartitionDirectory directory) => s_byDirectory.GetValue(directory, static d => new ReplicaSignals(d));

    /// <summary>The signals of <paramref name="target"/>'s attempt; already fired when the directory has moved on.</summary>
    public Signal For(in ReplicaTarget target)
    {
        var signal = _signals.GetOrAdd((target.Partition, target.Attempt), static _ => new Signal());

        // Registered first, then checked: a change after this check finds the entry and fires it.
        var snapshot = _directory.Current;
        var replica = (uint)target.Partition < (uint)snapshot.PartitionCount && (uint)target.Replica < (uint)snapshot[target.Partition].Replicas.Length
            ? snapshot[target.Partition].Replicas[target.Replica]
            : null;
        if (replica is null || replica.Attempt != target.Attempt || replica.State != PartitionState.Serving)
        {
            // Lost since the pick, or replaced: a replaced one drains, so only a dead one fires. So does a retired one.
            if (replica is null || (replica.Attempt == target.Attempt && replica.State != PartitionState.Retired))
            {
                signal.Lose();
            }
        }
        else if (replica.Suspected)
        {
            signal.Suspect(Alternatives(snapshot, target.Partition, target.Replica));
        }

        return signal;
    }

    private void OnChanged(object? sender, PartitionChange change)
    {
        if (change.Replica is not { } replica)
        {
            return;
        }

        var key = (change.Partition, replica.Attempt);
        if (change.Kind == PartitionChangeKind.Retiring)
        {
            // Autoscaling took it out of routing: it drains what it holds, like a replaced attempt. Its entry stays, so an
            // error it reports while draining still fires; the slot's next change (ScaledUp, Stopped) removes it.
            return;
        }

        if (replica.State != PartitionState.Serving)
        {
            if (_signals.TryRemove(key, out var lost))
            {
                lost.Lose();
            }

            // An error reported by a newer attempt names that attempt; the one it replaced is the one that served.
            if (change.PreviousReplica is { } previous && previous.Attempt != replica.Attempt && _signals.TryRemove((change.Partition, previous.Attempt), out var before))
            {
                before.Lose();
            }
        }
        else if (replica.Suspected)
        {
            if (_signals.TryGetValue(key, out var suspected))
            {
                suspected.Suspect(Alternatives(change.Snapshot, change.Partition, replica.Replica));
            }
        }
        else
        {
            _signals.TryGetValue(key, out var recovered);
            recovered?.Recover();
            if (change.PreviousReplica is { } previous && previous.Attempt != replica.Attempt)
            {
                // Replaced: the old attempt drains what it holds (rolling update) or was already lost.
                _signals.TryRemove((change.Partition, previous.Attempt), out _);
            }
        }
    }

    // Whether a healthy replica other than the suspect could take its requests: a sibling, or any replica at all.
    private static (bool Sibling, bool Any) Alternatives(DirectorySnapshot snapshot, int partition, int replica)
    {
        var sibling = snapshot[partition].Replicas.Any(r => r.Replica != replica && r.IsHealthy);
        return (sibling, sibling || snapshot.Partitions.Any(p => p.Partition != partition && p.HasHealthyReplica));
    }

    /// <summary>The tokens of one replica attempt.</summary>
    internal sealed class Signal
    {
        private readonly CancellationTokenSource _lost = new();
        private Suspicion _suspicion = new();

        /// <summary>
        /// Fires when the replica is lost, or suspected while a healthy replica of the same partition
        /// (<paramref name="partitionBound"/>) or of any partition could take its requests.
        /// </summary>
        public CancellationToken Suspected(bool partitionBound) => partitionBound ? Volatile.Read(ref _suspicion).Sibling.Token : Volatile.Read(ref _suspicion).Any.Token;

        /// <summary>Fires when the replica is lost (or ended).</summary>
        public CancellationToken Lost => _lost.Token;

        public void Suspect((bool Sibling, bool Any) alternatives)
        {
            var suspicion = Volatile.Read(ref _suspicion);
            if (alternatives.Sibling)
            {
                suspicion.Sibling.Cancel();
            }

            if (alternatives.Any)
            {
                suspicion.Any.Cancel();
            }
        }

        public void Lose()
        {
            _lost.Cancel();
            var suspicion = Volatile.Read(ref _suspicion);
            suspicion.Sibling.Cancel();
            suspicion.Any.Cancel();
        }

        // Requests sent from now on follow fresh tokens; those already moved off stay moved.
        public void Recover()
        {
            var current = Volatile.Read(ref _suspicion);
            if ((current.Sibling.IsCancellationRequested || current.Any.IsCancellationRequested) && !_lost.IsCancellationRequested)
            {
                Interlocked.CompareExchange(ref _suspicion, new Suspicion(), current);
            }
        }

        private sealed class Suspicion
        {
            public CancellationTokenSource Sibling { get; } = new();

            public CancellationTokenSource Any { get; } = new();
        }
    }
}
