using Partitioned.Protocol;

namespace Partitioned.Coordination;

/// <summary>
/// The health checks of one process's replicas: a replica in a process of its own (a group of one, checked exactly as
/// a replica always was), or the members of one executor, checked through one member per interval.
/// </summary>
/// <remarks>
/// <para>
/// An executor member's health answer lists every member the executor hosts (<see cref="PartitionHealth.Members"/>): a
/// member listed as serving (or stopping) is confirmed, the one checked and every other, and a member the executor no
/// longer lists has failed a check (its attempt ended or failed there). A check that fails counts against
/// the member checked; and against every member when the check before it failed too (or was of the same member), since
/// then nothing says the executor itself is alive. The next check after a failure goes to another member (rotation), so
/// a dead executor is told from one member's dead server within a check or two.
/// </para>
/// <para>
/// Per member the rules are the monitor's: the first failure marks it suspected, <see cref="CoordinatorOptions.UnhealthyThreshold"/>
/// failures in a row over at least one interval mark it lost, an answer marks it recovered. A member confirmed only by its
/// executor's list while its own server failed its last check stays failed until it answers itself. The timeout is
/// derived from the group's round trips (one process, one network path).
/// </para>
/// </remarks>
internal sealed class HealthGroup(PartitionHealthMonitor monitor, string? executor, HealthTarget[] members, CancellationTokenSource stop)
{
    // The pause between checks while a member's last check failed.
    private static readonly TimeSpan s_recheckDelay = TimeSpan.FromMilliseconds(50);

    private readonly Dictionary<HealthTarget, Verdict> _verdicts = [];
    private HealthTarget? _lastChecked;
    private bool _lastFailed;
    private int _next;

    private volatile HealthTarget[] _members = members;

    /// <summary>The members to check; the monitor replaces them when registrations come and go.</summary>
    public HealthTarget[] Members
    {
        get => _members;
        set => _members = value;
    }

    public CancellationTokenSource Stop { get; } = stop;

    public Task Loop { get; private set; } = Task.CompletedTask;

    public void Start() => Loop = RunAsync(Stop.Token);

    private CoordinatorOptions Options => monitor.Options;

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        // The first check comes within one interval of registering (which just proved the replica alive), at a random
        // point of its second half, so a thousand replicas registered together are not all checked at one instant.
        await DelayAsync(Options.HealthCheckInterval * (0.5 + (Random.Shared.NextDouble() / 2)), cancellationToken).ConfigureAwait(false);
        var timeout = new ProbeTimeout(Options.HealthCheckTimeout);
        var inconclusive = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var members = Members;
            Forget(members);
            if (members.Length == 0 || monitor.Suspended)
            {
                foreach (var verdict in _verdicts.Values)
                {
                    verdict.Failures = 0;
                }

                await DelayAsync(Options.HealthCheckInterval, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var target = Pick(members);
            var limit = timeout.Next;
            var started = monitor.Time.GetTimestamp();
            var (failure, health) = await monitor.CheckAsync(target, limit, cancellationToken).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            var elapsed = monitor.Time.GetElapsedTime(started);
            TimeSpan wait;
            if (failure is null)
            {
                timeout.Answered(elapsed);
                inconclusive = 0;
                wait = Answered(members, target, health!, started);
                _lastFailed = false;
            }
            else if (failure.TimedOut && elapsed > (limit * 1.5) + TimeSpan.FromMilliseconds(100) && ++inconclusive <= 2 * Options.UnhealthyThreshold)
            {
                // A timeout that fired far later than it was set for means this process stalled (a pause, a starved thread
                // pool), not the partition: the check says nothing, and is made again at once. Bounded, so a driver that
                // is always late still judges.
                monitor.Inconclusive(target, elapsed, limit);
                continue;
            }
            else
            {
                timeout.Failed();
                var executorSilent = _lastFailed || _lastChecked == target || members.Length == 1;
                wait = Fail(target, failure.Reason, started, direct: true);
                if (executorSilent)
                {
                    var through = $"its executor {executor} did not answer: {failure.Reason} (checked through partition {target.Partition} attempt {target.Attempt})";
                    foreach (var member in members)
                    {
                        if (member != target)
                        {
                            wait = Min(wait, Fail(member, through, started, direct: false));
                        }
                    }
                }

                _lastFailed = true;
            }

            _lastChecked = target;
            await DelayAsync(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    // After a failed check, another member (the rotation tells a dead executor from one dead server); then a member whose own
    // server failed its last check (it must answer itself); otherwise the next in turn.
    private HealthTarget Pick(HealthTarget[] members)
    {
        if (!_lastFailed)
        {
            foreach (var member in members)
            {
                if (_verdicts.TryGetValue(member, out var verdict) && verdict.Direct && verdict.Failures > 0 && member != _lastChecked)
                {
                    return member;
                }
            }
        }

        var pick = members[_next++ % members.Length];
        return members.Length > 1 && _lastFailed && pick == _lastChecked ? members[_next++ % members.Length] : pick;
    }

    private TimeSpan Answered(HealthTarget[] members, HealthTarget target, PartitionHealth health, long started)
    {
        // Without a list (a process of its own, or a partition written without executor support) each member is confirmed
        // only by its own answer.
        var listed = health.Members?.Where(static m => m.State is "serving" or "stopping").Select(static m => (m.Partition, m.Attempt)).ToHashSet();
        if (listed is null)
        {
            Confirm(target);
            return Options.HealthCheckInterval;
        }

        var wait = Options.HealthCheckInterval;
        foreach (var member in members)
        {
            if (!listed.Contains((member.Partition, member.Attempt)))
            {
                wait = Min(wait, Fail(member, $"its executor {executor} no longer runs it (checked through partition {target.Partition} attempt {target.Attempt})", started, direct: false));
            }
            else if (member == target || !(_verdicts.TryGetValue(member, out var verdict) && verdict.Direct && verdict.Failures > 0))
            {
                Confirm(member);
            }
            else
            {
                wait = s_recheckDelay;
            }
        }

        return wait;
    }

    private void Confirm(HealthTarget member)
    {
        if (_verdicts.TryGetValue(member, out var verdict))
        {
            verdict.Failures = 0;
            verdict.Direct = false;
        }

        monitor.Confirm(member);
    }

    /// <summary>Counts a failed check against <paramref name="member"/> and applies the rules; returns when to check again.</summary>
    private TimeSpan Fail(HealthTarget member, string reason, long started, bool direct)
    {
        if (!_verdicts.TryGetValue(member, out var verdict))
        {
            _verdicts[member] = verdict = new Verdict();
        }

        if (verdict.Failures++ == 0)
        {
            verdict.FirstFailure = started;
        }

        verdict.Direct = direct;
        monitor.CheckFailed(member, verdict.Failures, reason);

        // Checked again: a stop may have suspended checks while this one was under way.
        if (monitor.Suspended)
        {
            return s_recheckDelay;
        }

        // Lost only after failing for a whole interval too: refused connections fail in milliseconds, and a worker
        // that died gets that long for its runner to report how (an exit code says more than a refused check).
        var failingFor = monitor.Time.GetElapsedTime(verdict.FirstFailure);
        if (verdict.Failures >= Options.UnhealthyThreshold && failingFor < Options.HealthCheckInterval)
        {
            return Options.HealthCheckInterval - failingFor;
        }

        if (verdict.Failures >= Options.UnhealthyThreshold)
        {
            monitor.Lose(member, reason, verdict.Failures);

            // A lost replica is checked at the normal pace: it recovers if it answers, or its attempt ends.
            return Options.HealthCheckInterval;
        }

        monitor.Suspect(member, reason);

        // The next check follows at once (after a breath): the sooner a silent replica is declared lost, the sooner what
        // it holds is sent elsewhere.
        return s_recheckDelay;
    }

    // Verdicts of members that left the group (their attempt ended or was replaced) are dropped.
    private void Forget(HealthTarget[] members)
    {
        if (_verdicts.Count > members.Length)
        {
            foreach (var gone in _verdicts.Keys.Where(k => !members.Contains(k)).ToList())
            {
                _verdicts.Remove(gone);
            }
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        await Task.Delay(delay, monitor.Time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private sealed class Verdict
    {
        public int Failures;
        public long FirstFailure;

        // True when the member's own server failed its last check (not only its executor's answer).
        public bool Direct;
    }
}
