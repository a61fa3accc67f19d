using Microsoft.Extensions.Logging;

namespace Partitioned.Server;

/// <summary>Runs the attempt once the worker knows the server's row and result types: serve, then post the results.</summary>
internal sealed partial class WorkerAttemptRun(PartitionLaunch launch, AttemptClient client, ILoggerFactory loggerFactory, ILogger logger, CancellationToken cancellationToken)
    : IServerDefinitionVisitor<Task<int>>
{
    /// <returns>How many result rows the driver accepted.</returns>
    public async Task<int> Visit<TRow, TResult>(PartitionServerDefinition<TRow, TResult> definition)
    {
        PartitionServer<TRow, TResult> server;
        try
        {
            server = definition.CreateServer();
        }
        catch (Exception ex)
        {
            throw new PartitionAttemptException($"creating server '{definition.Name}' failed: {PartitionAttemptException.Describe(ex)}", ex);
        }

        var rows = client.ReadRowsAsync<TRow>(cancellationToken);
        var results = await PartitionServerHost.RunAsync(server, launch, rows, loggerFactory, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        var accepted = await client.PostResultsAsync(results, cancellationToken).ConfigureAwait(false);
        Log.ResultsPosted(logger, accepted.Count);
        return accepted.Count;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 45, Level = LogLevel.Information, Message = "Posted {Results} result rows to the driver.")]
        public static partial void ResultsPosted(ILogger logger, int results);
    }
}
