using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Partitioned.Protocol;
using Partitioned.Security;
using Partitioned.Shared;

namespace Partitioned.Server;

/// <summary>
/// An executor's run: a worker process that hosts several partition attempts at once, each exactly as a worker of one
/// attempt runs it (launch data, rows, its own Kestrel server, registration, health, results over HTTP with the
/// coordinator). Which attempts it runs comes from its driver as commands on standard input (<c>run 3 0</c>,
/// <c>abandon 3 0</c>; <see cref="ExecutorProtocol"/>), or, for an executor an engine launched, from the coordinator
/// (<see cref="PollCoordinatorAsync"/>). Every attempt that ends is reported on standard output
/// (<c>PARTITIONED_EXECUTOR ended 3 0 0</c>). An exception in one attempt's code fails that attempt only; the others
/// keep serving.
/// </summary>
internal sealed partial class ExecutorSession(
    WorkerEnvironment environment, IReadOnlyDictionary<string, ITypedServerDefinition> registry, ClusterToken token, ILoggerFactory loggerFactory, ILogger logger, TextWriter output)
{
    private readonly Dictionary<(int Partition, int Attempt), Member> _running = [];
    private readonly List<Task> _members = [];
    private readonly Lock _gate = new();
    private readonly ExecutorMembers _health = new(environment.Executor!);
    private int _abandoned;

    /// <summary>
    /// Runs the commands of a driver (one per line after the token) until <paramref name="gone"/> fires (standard input
    /// ended: the driver is gone, or has no more work for this executor), then abandons what still runs.
    /// </summary>
    /// <returns>The exit code (0 when nothing was left to abandon) and, if any, why attempts were abandoned.</returns>
    public async Task<(int Code, string? Failure)> RunAsync(ChannelReader<string> commands, Func<string?> goneReason, CancellationToken gone)
    {
        try
        {
            await foreach (var line in commands.ReadAllAsync(gone).ConfigureAwait(false))
            {
                if (!ExecutorProtocol.TryReadCommand(line, out var verb, out var partition, out var attempt))
                {
                    Log.UnknownCommand(logger, line);
                }
                else if (verb == ExecutorProtocol.Run)
                {
                    Start(partition, attempt);
                }
                else
                {
                    Abandon(partition, attempt, "its driver abandoned it");
                }
            }
        }
        catch (OperationCanceledException) when (gone.IsCancellationRequested)
        {
            // The driver closed standard input.
        }

        return await EndAsync(goneReason() ?? "the driver closed the executor's standard input").ConfigureAwait(false);
    }

    /// <summary>Starts an attempt in a free slot; one this executor runs already, or one beyond its slots, is refused.</summary>
    internal void Start(int partition, int attempt)
    {
        Member member;
        lock (_gate)
        {
            if (_running.ContainsKey((partition, attempt)))
            {
                return;
            }

            if (_running.Count >= environment.Slots)
            {
                Report(partition, attempt, WorkerExitCodes.InvalidLaunch, $"executor {environment.Executor} has no free slot (it hosts {environment.Slots})");
                return;
            }

            member = new Member(partition, attempt);
            _running[(partition, attempt)] = member;
            _members.RemoveAll(static t => t.IsCompleted);
            _members.Add(RunMemberAsync(member));
        }

        Log.Starting(logger, environment.Executor!, partition, attempt);
    }

    /// <summary>Stops an attempt at once, without results.</summary>
    internal void Abandon(int partition, int attempt, string reason)
    {
        Member? member;
        lock (_gate)
        {
            _running.TryGetValue((partition, attempt), out member);
        }

        member?.Cancel(reason);
    }

    /// <summary>The attempts running now.</summary>
    internal IReadOnlyList<AttemptAssignment> Running
    {
        get
        {
            lock (_gate)
            {
                return [.. _running.Keys.Select(static k => new AttemptAssignment(k.Partition, k.Attempt))];
            }
        }
    }

    /// <summary>How many more attempts fit.</summary>
    internal int Free
    {
        get
        {
            lock (_gate)
            {
                return environment.Slots - _running.Count;
            }
        }
    }

    /// <summary>Abandons every attempt still running and waits for each to end.</summary>
    internal async Task<(int Code, string? Failure)> EndAsync(string reason)
    {
        Task[] members;
        lock (_gate)
        {
            foreach (var member in _running.Values)
            {
                member.Cancel(reason);
            }

            members = [.. _members];
        }

        await Task.WhenAll(members).ConfigureAwait(false);
        var abandoned = Volatile.Read(ref _abandoned);
        return abandoned == 0 ? (WorkerExitCodes.Succeeded, null) : (WorkerExitCodes.Abandoned, $"{abandoned} attempt(s) abandoned: {reason}");
    }

    private async Task RunMemberAsync(Member member)
    {
        // Off the command loop at once: an attempt's initialisation is user code and may block.
        await Task.Yield();
        var (partition, attempt) = (member.Partition, member.Attempt);
        int code;
        string? failure = null;
        try
        {
            using var client = new AttemptClient(environment.Coordinator, token, partition, attempt, environment.TrustedAuthorities);
            await LaunchedAttempt.RunAsync(environment, partition, attempt, token, client, registry, _health, loggerFactory, logger, member.Cancellation.Token).ConfigureAwait(false);
            code = WorkerExitCodes.Succeeded;
        }
        catch (Exception ex)
        {
            (code, failure) = LaunchedAttempt.Classify(ex, member.Cancellation.IsCancellationRequested ? member.Reason ?? "cancelled" : null);
        }

        if (code == WorkerExitCodes.Abandoned)
        {
            Interlocked.Increment(ref _abandoned);
        }

        lock (_gate)
        {
            _running.Remove((partition, attempt));
        }

        Log.Ended(logger, environment.Executor!, partition, attempt, code, failure ?? "results accepted");
        Report(partition, attempt, code, failure);
        member.Dispose();
    }

    private void Report(int partition, int attempt, int code, string? failure)
    {
        lock (output)
        {
            output.WriteLine(ExecutorProtocol.EndedReport(partition, attempt, code, failure));
            output.Flush();
        }
    }

    private sealed class Member(int partition, int attempt) : IDisposable
    {
        private string? _reason;

        public int Partition { get; } = partition;

        public int Attempt { get; } = attempt;

        public CancellationTokenSource Cancellation { get; } = new();

        public string? Reason => Volatile.Read(ref _reason);

        public void Cancel(string reason)
        {
            if (Interlocked.CompareExchange(ref _reason, reason, null) is null)
            {
                try
                {
                    Cancellation.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // It ended meanwhile.
                }
            }
        }

        public void Dispose() => Cancellation.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 46, Level = LogLevel.Debug, Message = "Executor {Executor}: starting partition {Partition} attempt {Attempt}.")]
        public static partial void Starting(ILogger logger, string executor, int partition, int attempt);

        [LoggerMessage(EventId = 47, Level = LogLevel.Information, Message = "Executor {Executor}: partition {Partition} attempt {Attempt} ended with code {Code} ({Outcome}).")]
        public static partial void Ended(ILogger logger, string executor, int partition, int attempt, int code, string outcome);

        [LoggerMessage(EventId = 48, Level = LogLevel.Warning, Message = "An executor command was not understood and is ignored: '{Line}'.")]
        public static partial void UnknownCommand(ILogger logger, string line);
    }
}
