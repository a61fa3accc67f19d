using Partitioned.Server;

namespace Partitioned.Clustering;

/// <summary>
/// The embedded default runner: every partition attempt runs inside this process on its own Kestrel server,
/// with a fresh server instance, DI container and port. Instant to start; no process isolation.
/// </summary>
public sealed class InProcessRunner : IPartitionRunner
{
    /// <summary>The shared instance (the runner holds no state).</summary>
    public static InProcessRunner Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "in-process";

    /// <inheritdoc />
    public async Task<IReadOnlyList<TResult>> RunAttemptAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);

        // Off the caller's thread: initialisation is user code and may block.
        await Task.Yield();
        var server = attempt.Server.CreateServer();
        return await PartitionServerHost.RunAsync(server, attempt.Launch, attempt.ReadRowsAsync(cancellationToken), attempt.LoggerFactory, attempt.TimeProvider, cancellationToken).ConfigureAwait(false);
    }
}
