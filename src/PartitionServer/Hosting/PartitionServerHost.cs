using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Partitioned.Shared;

namespace Partitioned.Server;

/// <summary>
/// Runs one attempt of a partition server. Runners call this; so does a worker process, and so can a
/// custom engine that launches partitions its own way.
/// </summary>
public static class PartitionServerHost
{
    /// <summary>
    /// Initialises <paramref name="server"/> from <paramref name="rows"/>, listens, registers the bound address
    /// with the coordinator, serves until <c>POST /control/shutdown</c>, drains, and returns the result rows.
    /// </summary>
    /// <param name="server">A fresh server instance (one per attempt).</param>
    /// <param name="launch">Which partition and attempt, and where the coordinator is.</param>
    /// <param name="rows">The partition's rows.</param>
    /// <param name="loggerFactory">Where the server logs; default nowhere.</param>
    /// <param name="timeProvider">The clock; default the system clock.</param>
    /// <param name="cancellationToken">Abandons the attempt: the server stops at once, without draining.</param>
    /// <returns>The rows <see cref="PartitionServer{TRow, TResult}.ProduceResultsAsync"/> produced.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The server options are invalid.</exception>
    /// <exception cref="RegistrationFailedException">The coordinator refused the registration or did not answer in time.</exception>
    /// <remarks>Any exception the server's own code throws (for example in initialisation) fails the attempt and is rethrown as is.</remarks>
    public static Task<IReadOnlyList<TResult>> RunAsync<TRow, TResult>(
        PartitionServer<TRow, TResult> server,
        PartitionLaunch launch,
        IAsyncEnumerable<TRow> rows,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(launch);
        ArgumentNullException.ThrowIfNull(rows);
        var validation = new OptionsValidation(nameof(PartitionServerOptions));
        validation.Add(launch.Server.Validate());
        validation.ThrowIfInvalid();

        var run = new PartitionServerRun<TRow, TResult>(server, launch, rows, loggerFactory ?? NullLoggerFactory.Instance, timeProvider ?? TimeProvider.System);
        return run.RunAsync(cancellationToken);
    }
}
