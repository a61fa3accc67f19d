using System.Collections.Concurrent;
using System.Threading.Channels;
using Partitioned.Clustering;
using Partitioned.Coordination;

namespace Partitioned.Tests.Cluster.Lines;

/// <summary>
/// A runner the test drives: every attempt it is given waits until the test starts it (registers it with the directory,
/// as a server would), finishes it (results) or fails it (an exception), or the cluster abandons it (its token fires).
/// </summary>
internal sealed class ControlledRunner(PartitionDirectory directory) : IPartitionRunner
{
    private readonly Channel<ControlledAttempt> _launched = Channel.CreateUnbounded<ControlledAttempt>();
    private int _count;

    public string Name => "controlled";

    /// <summary>How many attempts the lines launched so far.</summary>
    public int Launched => Volatile.Read(ref _count);

    public async Task<IReadOnlyList<TResult>> RunAttemptAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, CancellationToken cancellationToken)
    {
        var controlled = new ControlledAttempt(directory, attempt.Launch.Partition, attempt.Launch.Replica, attempt.Launch.Attempt, attempt.Lost, attempt.PreviousAttempts);
        Interlocked.Increment(ref _count);
        _launched.Writer.TryWrite(controlled);
        try
        {
            var results = await controlled.Outcome.WaitAsync(cancellationToken);
            return [.. results.Cast<TResult>()];
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            controlled.Abandoned = true;
            throw;
        }
    }

    /// <summary>The next attempt the lines launch (in launch order).</summary>
    public async Task<ControlledAttempt> NextAsync() => await _launched.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Whether another attempt was launched and not yet taken with <see cref="NextAsync"/>.</summary>
    public bool HasPending => _launched.Reader.TryPeek(out _);
}

/// <summary>One attempt of a <see cref="ControlledRunner"/>, and the commands that move it on.</summary>
internal sealed class ControlledAttempt(PartitionDirectory directory, int partition, int replica, int attempt, Task<string> lost, IReadOnlyList<AttemptOutcome> previous)
{
    private readonly TaskCompletionSource<IReadOnlyList<object?>> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Partition { get; } = partition;

    public int Replica { get; } = replica;

    public int Attempt { get; } = attempt;

    /// <summary>Completes with the reason when the cluster ends the attempt as lost (a runner then stops it).</summary>
    public Task<string> Lost { get; } = lost;

    /// <summary>How the line's earlier attempts ended, as the runner was told.</summary>
    public IReadOnlyList<AttemptOutcome> PreviousAttempts { get; } = previous;

    public Uri Endpoint => new($"http://127.0.0.1:{20_000 + (Partition * 100) + Attempt}/");

    /// <summary>True once the cluster abandoned it (its cancellation fired).</summary>
    public bool Abandoned { get; set; }

    internal Task<IReadOnlyList<object?>> Outcome => _outcome.Task;

    /// <summary>The server listens and registers.</summary>
    public void Start() => directory.Register(Partition, Attempt, Endpoint).Result.Should().Be(RegistrationResult.Accepted);

    /// <summary>The server stopped and handed back its results.</summary>
    public void Finish(params object?[] results) => _outcome.TrySetResult(results);

    /// <summary>The attempt failed (its process died, its initialisation threw).</summary>
    public void Fail(string error) => _outcome.TrySetException(new InvalidOperationException(error));
}
