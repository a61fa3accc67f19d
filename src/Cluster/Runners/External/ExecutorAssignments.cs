using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Partitioned.Protocol;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>
/// Attempts for executors an engine launched itself (<see cref="ExternalWorkersRunner"/>, an executor being, for example, a
/// Slurm array task or a Spark task hosting several partitions): each executor asks every few seconds
/// (<c>POST /v1/executors/{executor}/attempts</c>), says which attempts it runs and how many more it can take, and gets the
/// attempts no worker took yet, plus those of its own that are over. So the engine's retries become attempts, as for a
/// worker of one partition: an executor started again under the same id (a new incarnation: a retry, a requeue) replaces
/// the first, whose attempts end as failed and are re-launched; an attempt assigned to an executor that no longer runs it
/// (it failed there, or the answer never arrived) ends as failed too.
/// </summary>
/// <remarks>
/// Placement is the cluster's, as with its own executors: replicas of a partition never share an executor, and an attempt
/// whose partition failed on a node goes to an executor on another node while one of those has room (it asked within the
/// last few seconds with free slots). The table of executors is bounded (<see cref="MaxExecutors"/>, and the incarnations
/// remembered per executor), since callers grow it.
/// </remarks>
internal sealed partial class ExecutorAssignments<TRow, TResult>(PartitionLines<TRow, TResult> lines, ILogger logger)
{
    /// <summary>The most executors one cluster run tracks.</summary>
    public const int MaxExecutors = 10_000;

    // Replaced incarnations of one executor id that are still refused when they ask again (a process the engine gave up on).
    private const int RememberedIncarnations = 8;

    // An executor that asked within this long counts as there, for the choice to avoid a node.
    private static readonly TimeSpan s_present = TimeSpan.FromSeconds(6);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Executor> _executors = new(StringComparer.Ordinal);

    private TimeProvider Clock => lines.Settings.Options.TimeProvider;

    /// <summary>The route: reads the request, answers it as JSON or with the problem.</summary>
    public async Task<IResult> HandleAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var (body, problem) = await Coordination.JsonBody.ReadAsync<ExecutorAttemptsRequest>(request, ProtocolJson.Options, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var (answer, refusal) = Poll(id, body!);
        return refusal ?? Results.Json(answer, ProtocolJson.Options);
    }

    /// <summary>Answers one executor's request: its new attempts and its attempts that are over, or the problem to answer.</summary>
    public (ExecutorAttemptsResponse? Answer, IResult? Problem) Poll(string id, ExecutorAttemptsRequest request)
    {
        if (Refusal(id, request) is { } refusal)
        {
            return (null, refusal);
        }

        var toEnd = new List<(PartitionAttempt<TRow, TResult> Attempt, string Reason)>();
        var assigned = new List<AttemptAssignment>();
        var over = new List<AttemptAssignment>();
        lock (_gate)
        {
            if (!_executors.TryGetValue(id, out var executor))
            {
                if (_executors.Count >= MaxExecutors)
                {
                    return (null, ProblemResponse.Conflict($"Executor {id} is refused: this cluster run tracks {MaxExecutors} executors already, the most it takes."));
                }

                executor = new Executor(request.Incarnation);
                _executors[id] = executor;
            }
            else if (executor.Incarnation != request.Incarnation)
            {
                if (executor.Replaced.Contains(request.Incarnation, StringComparer.Ordinal))
                {
                    return (null, ProblemResponse.Conflict($"Executor {id} (incarnation {request.Incarnation}) was replaced: its engine started it again, and the newer process runs its attempts now. This process must stop."));
                }

                // The engine started the executor again: the first process's attempts end here, and are re-launched.
                Log.Replaced(logger, id, executor.Claimed.Count);
                toEnd.AddRange(Held(executor.Claimed).Select(a => (a, $"its engine started executor {id} again (a retry or a requeue), which replaces the process that ran it")));
                executor.Claimed.Clear();
                executor.Replaced.Add(executor.Incarnation);
                if (executor.Replaced.Count > RememberedIncarnations)
                {
                    executor.Replaced.RemoveAt(0);
                }

                executor.Incarnation = request.Incarnation;
            }

            executor.Node = request.Node;
            executor.Free = request.Free;
            executor.Seen = Clock.GetTimestamp();
            var running = request.Running.Select(static a => (a.Partition, a.Attempt)).ToHashSet();
            Reconcile(id, executor, running, over, toEnd);
            if (!lines.IsStopping)
            {
                Assign(executor, running, request.Free, assigned);
            }
        }

        foreach (var (attempt, reason) in toEnd)
        {
            attempt.TryMarkLost(reason);
        }

        foreach (var attempt in assigned)
        {
            Log.Assigned(logger, attempt.Partition, attempt.Attempt, id);
        }

        return (new ExecutorAttemptsResponse(assigned, over), null);
    }

    private IResult? Refusal(string id, ExecutorAttemptsRequest request)
    {
        if (!lines.Assignment.AssignsAttempts)
        {
            return ProblemResponse.Conflict($"Executor {id} is refused: this cluster launches its own workers (runner '{lines.Settings.Options.Runner.Name}'), so it assigns no attempts; an executor it launched gets its attempts on standard input.");
        }

        if (!ExecutorProtocol.IsExecutorId(id))
        {
            return ProblemResponse.BadRequest($"The executor id '{id}' is invalid: it must be 1 to 64 ASCII letters, digits, '.', '_' or '-'.");
        }

        if (string.IsNullOrWhiteSpace(request.Incarnation) || request.Incarnation.Length > 64)
        {
            return ProblemResponse.BadRequest("incarnation must be 1 to 64 characters: a value the executor process chose when it started.");
        }

        if (request.Free is < 0 or > 100_000)
        {
            return ProblemResponse.BadRequest($"free must be between 0 and 100000, the attempts the executor can still take (was {request.Free}).");
        }

        if (request.Running.Count > 100_000 || request.Running.Any(a => a is null || (uint)a.Partition >= (uint)lines.Partitions.Count || a.Attempt < 0))
        {
            return ProblemResponse.BadRequest($"running must list the attempts the executor runs, each with a partition from 0 to {lines.Partitions.Count - 1} and an attempt of at least 0.");
        }

        // Asked when stopping: what runs is being shut down gracefully; the executor stops asking and ends once it is done.
        return lines.IsStopping && request.Running.Count == 0
            ? ProblemResponse.Gone($"The cluster run takes no more attempts: it is stopping. Executor {id} may end.")
            : null;
    }

    /// <summary>Finds the attempts it runs that are over, and ends those assigned to it that it no longer runs.</summary>
    private void Reconcile(string id, Executor executor, HashSet<(int Partition, int Attempt)> running, List<AttemptAssignment> over, List<(PartitionAttempt<TRow, TResult>, string)> toEnd)
    {
        foreach (var (partition, number) in running)
        {
            var (held, isOver) = lines.LookUpAttempt(partition, number);
            if (isOver is not null || held is null || !executor.Claimed.Contains((partition, number)))
            {
                over.Add(new AttemptAssignment(partition, number));
            }
        }

        foreach (var key in executor.Claimed.Where(k => !running.Contains(k)).ToList())
        {
            executor.Claimed.Remove(key);
            if (lines.GetAttempt(key.Partition, key.Attempt) is { IsOver: false } held && !held.PostedResults.IsCompleted)
            {
                // It failed there (its error went to the executor's log), or the answer that assigned it never arrived.
                toEnd.Add((held, $"its executor {id} no longer runs it: the attempt ended there without results, or never started"));
            }
        }

        executor.Claimed.RemoveWhere(k => lines.GetAttempt(k.Partition, k.Attempt) is null or { IsOver: true });
    }

    private void Assign(Executor executor, HashSet<(int Partition, int Attempt)> running, int free, List<AttemptAssignment> assigned)
    {
        var partitions = running.Select(static k => k.Partition).Concat(executor.Claimed.Select(static k => k.Partition)).ToHashSet();
        for (var partition = 0; partition < lines.Partitions.Count && assigned.Count < free; partition++)
        {
            // Replicas of a partition never share an executor.
            if (partitions.Contains(partition))
            {
                continue;
            }

            for (var replica = 0; replica < lines.Replicas; replica++)
            {
                if (lines.Line(partition, replica).ReadCurrent()?.Attempt is not { IsOver: false } attempt || AvoidsNode(attempt, executor) || !attempt.TryClaim())
                {
                    continue;
                }

                executor.Claimed.Add((partition, attempt.Launch.Attempt));
                assigned.Add(new AttemptAssignment(partition, attempt.Launch.Attempt));
                partitions.Add(partition);
                break;
            }
        }
    }

    /// <summary>True when the attempt's partition failed on this executor's node and an executor elsewhere has room for it.</summary>
    private bool AvoidsNode(PartitionAttempt<TRow, TResult> attempt, Executor executor) =>
        executor.Node is { } node
        && attempt.PreviousAttempts.Any(a => a.Status == AttemptStatus.Failed && a.Node == node)
        && _executors.Values.Any(e => e != executor && e.Node is { } other && other != node && e.Free > 0 && Clock.GetElapsedTime(e.Seen) < s_present);

    private IEnumerable<PartitionAttempt<TRow, TResult>> Held(IEnumerable<(int Partition, int Attempt)> keys)
    {
        foreach (var (partition, number) in keys)
        {
            if (lines.GetAttempt(partition, number) is { IsOver: false } held)
            {
                yield return held;
            }
        }
    }

    private sealed class Executor(string incarnation)
    {
        public string Incarnation { get; set; } = incarnation;

        public List<string> Replaced { get; } = [];

        /// <summary>The attempts assigned to it that it has not been seen to end.</summary>
        public HashSet<(int Partition, int Attempt)> Claimed { get; } = [];

        public string? Node { get; set; }

        public int Free { get; set; }

        public long Seen { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 246, Level = LogLevel.Information, Message = "Partition {Partition}: assigned attempt {Attempt} to executor {Executor}, which its engine launched.")]
        public static partial void Assigned(ILogger logger, int partition, int attempt, string executor);

        [LoggerMessage(EventId = 247, Level = LogLevel.Warning, Message = "Executor {Executor} was started again by its engine; the {Attempts} attempt(s) the first process held end and are re-launched.")]
        public static partial void Replaced(ILogger logger, string executor, int attempts);
    }
}
