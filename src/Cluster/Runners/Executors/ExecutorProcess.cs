using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Protocol;
using Partitioned.Security;
using Partitioned.Server;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>
/// One executor: a worker process (or its launcher, such as <c>srun</c>) hosting several partition attempts. It is started
/// through the runner's <see cref="IWorkerEngine"/> like a worker of one attempt (the same variables, the token on standard
/// input, sealed under TLS), then told which attempts to run (<c>run</c>, <c>abandon</c> lines) and reports each one's end
/// on standard output. When it exits, every attempt still in it ends with it.
/// </summary>
internal sealed class ExecutorProcess(string id, ExecutorSizing sizing, long sequence) : IPlacementSink
{
    private readonly TaskCompletionSource<WorkerProcess> _process = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WorkerStart? _start;
    private string? _node;

    public string Id { get; } = id;

    public ExecutorSizing Sizing { get; } = sizing;

    /// <summary>The order executors were made in (placement prefers older ones among equals).</summary>
    public long Sequence { get; } = sequence;

    /// <summary>The attempts placed here and not yet removed, by partition and attempt. Placement changes it under the pool's lock.</summary>
    public ConcurrentDictionary<(int Partition, int Attempt), ExecutorMember> Members { get; } = new();

    /// <summary>Partitions whose attempts failed here: a re-launch goes elsewhere while it can. Under the pool's lock.</summary>
    public HashSet<int> FailedPartitions { get; } = [];

    /// <summary>True once it takes no more attempts (it is being retired or terminated). Under the pool's lock.</summary>
    public bool Closing { get; set; }

    /// <summary>The node it runs on, once known (the launcher said, or this machine).</summary>
    public string? Node => Volatile.Read(ref _node);

    /// <summary>Completes with the exit code once the process exited (or -1 when it never started).</summary>
    public Task<int> Exited => _exited.Task;

    /// <summary>The last lines of its standard error (every attempt's warnings and errors), once started.</summary>
    public IReadOnlyList<string> StandardErrorTail => _process.Task.IsCompletedSuccessfully ? _process.Task.Result.StandardErrorTail : [];

    /// <summary>The local process id, or -1 before it started.</summary>
    public int ProcessId => _process.Task.IsCompletedSuccessfully ? _process.Task.Result.Id : -1;

    /// <summary>Starts the process; on failure every member ends with the reason.</summary>
    public async Task StartAsync(IWorkerEngine engine, ExecutorStart start, WorkerCommand command, IReadOnlyDictionary<string, string?> environment, ClusterToken token, bool sealedToken, int tailLines, ILogger logger)
    {
        try
        {
            _start = await engine.PrepareExecutorAsync(start, command, environment, CancellationToken.None).ConfigureAwait(false);
            var process = WorkerProcess.StartExecutor(_start, token, sealedToken, Id, tailLines, logger, line => engine.TryReadLauncherLine(line, $"Executor {Id}", this, logger), OnOutput);
            _process.TrySetResult(process);
            _ = WatchExitAsync(process);
        }
        catch (Exception ex)
        {
            var reason = $"its executor {Id} could not be started: {PartitionAttemptException.Describe(ex)}";
            _process.TrySetException(new InvalidOperationException(reason, ex));
            _exited.TrySetResult(-1);
            EndAll(-1, reason);
        }
    }

    /// <summary>Sends a command (<c>run 3 0</c>) once the process started and has its token; false when it is gone.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired before the command was written.</exception>
    public async Task<bool> SendAsync(string command, CancellationToken cancellationToken = default)
    {
        try
        {
            var process = await _process.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return await process.SendLineAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Closes its standard input (it abandons whatever still runs and exits), and stops it by force (the engine's way, then
    /// the local process tree) when it has not exited within <paramref name="grace"/>.
    /// </summary>
    public async Task RetireAsync(IWorkerEngine engine, TimeSpan grace, ILogger logger)
    {
        if (!_process.Task.IsCompletedSuccessfully && !await _process.Task.ContinueWith(static t => t.IsCompletedSuccessfully, TaskScheduler.Default).ConfigureAwait(false))
        {
            return;
        }

        var process = _process.Task.Result;
        process.CloseInput();
        if (!await process.ExitsWithinAsync(grace).ConfigureAwait(false))
        {
            await TerminateAsync(engine, logger).ConfigureAwait(false);
        }

        await Exited.ConfigureAwait(false);
    }

    /// <summary>Ends it where it runs (a Slurm job is cancelled) and kills the local process tree.</summary>
    public async Task TerminateAsync(IWorkerEngine engine, ILogger logger)
    {
        if (!_process.Task.IsCompletedSuccessfully)
        {
            return;
        }

        if (_start?.Handle is not null)
        {
            await engine.CancelAsync(_start, logger).ConfigureAwait(false);
        }

        _process.Task.Result.Kill();
    }

    /// <summary>The tail of standard error that speaks of one attempt (the executor's log names it in every line's scope).</summary>
    public IReadOnlyList<string> TailOf(int partition, int attempt)
    {
        var scope = $"Partition {partition} attempt {attempt}";
        return [.. StandardErrorTail.Where(line => line.Contains(scope, StringComparison.Ordinal))];
    }

    void IPlacementSink.PlacedOn(string node)
    {
        Volatile.Write(ref _node, node);
        foreach (var member in Members.Values)
        {
            member.Placement.PlacedOn(node);
        }
    }

    private bool OnOutput(string line)
    {
        if (!ExecutorProtocol.TryReadEnded(line, out var partition, out var attempt, out var code, out var reason))
        {
            return false;
        }

        if (Members.TryGetValue((partition, attempt), out var member))
        {
            member.End(new MemberEnd(code, reason, ExecutorGone: false));
        }

        // A report glued to text partition code left unfinished: that text is logged too, with the line.
        return line.StartsWith(ExecutorProtocol.ReportPrefix, StringComparison.Ordinal);
    }

    private async Task WatchExitAsync(WorkerProcess process)
    {
        var code = await process.Exited.ConfigureAwait(false);
        EndAll(code, $"its executor {Id} (process {process.Id}) exited with code {code}{WorkerSupervisor.DescribeExitCode(code)}");
        _exited.TrySetResult(code);
    }

    private void EndAll(int code, string reason)
    {
        foreach (var member in Members.Values)
        {
            member.End(new MemberEnd(code, reason, ExecutorGone: true));
        }
    }
}
