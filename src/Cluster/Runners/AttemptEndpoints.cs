using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Partitioned.Protocol;
using Partitioned.Server;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>
/// The coordinator routes a partition running outside the driver (a worker process) uses to run one attempt:
/// its attempt number (for workers an engine launched), its launch data, its rows and its results, mapped into the
/// token-protected <c>/v1</c> group and backed by the run's <see cref="PartitionLines{TRow, TResult}"/>. Only an
/// attempt that runs is served: one that is over (it ended, failed, was marked lost or abandoned, or a re-launch
/// replaced it) gets 410 Gone on every route, so its worker can neither read rows nor hand back results, and
/// <c>HEAD</c> on the attempt tells a worker whether to keep running. An attempt a rolling update replaced still runs
/// while it drains: it is served until it ends, and its results are taken (not used: its replica follows the new
/// attempt). 409 is for attempts this run never launched, and for results posted twice.
/// </summary>
internal static partial class AttemptEndpoints
{
    // What a results post asks for, in logs and errors; results are also the one request that may be refused as a repeat.
    private const string ResultsRequest = "results";

    /// <summary>How long an engine-launched worker waits for an attempt number before it is told to give up.</summary>
    private static readonly TimeSpan s_assignTimeout = TimeSpan.FromSeconds(30);

    public static void Map<TRow, TResult>(IEndpointRouteBuilder v1, PartitionLines<TRow, TResult> lines, ILogger logger)
    {
        v1.MapPost("/attempts/{partition:int}", (int partition, CancellationToken cancellationToken) => AssignAsync(lines, partition, logger, cancellationToken));
        var executors = new ExecutorAssignments<TRow, TResult>(lines, logger);
        v1.MapPost("/executors/{executor}/attempts", (HttpRequest request, string executor, CancellationToken cancellationToken) => executors.HandleAsync(request, executor, cancellationToken));
        v1.MapGet("/attempts/{partition:int}/{attempt:int}", (int partition, int attempt) =>
            Find(lines, partition, attempt, "launch data", logger, out var current) ?? Launch(current));
        v1.MapMethods("/attempts/{partition:int}/{attempt:int}", [HttpMethods.Head], (int partition, int attempt) =>
            Find(lines, partition, attempt, "a liveness check", logger, out _) ?? Results.Ok());
        v1.MapGet("/attempts/{partition:int}/{attempt:int}/rows", (HttpContext context, int partition, int attempt) =>
            Find(lines, partition, attempt, "rows", logger, out var current) is { } problem ? Task.FromResult(problem) : StreamRowsAsync(context, current, logger));
        v1.MapPost("/attempts/{partition:int}/{attempt:int}/results", (HttpContext context, int partition, int attempt) =>
            Find(lines, partition, attempt, ResultsRequest, logger, out var current) is { } problem ? Task.FromResult(problem) : ReceiveResultsAsync(context, lines, current, logger));
    }

    private static async Task<IResult> AssignAsync<TRow, TResult>(PartitionLines<TRow, TResult> lines, int partition, ILogger logger, CancellationToken cancellationToken)
    {
        var count = lines.Partitions.Count;
        if ((uint)partition >= (uint)count)
        {
            return ProblemResponse.NotFound($"Partition {partition} is unknown: this cluster has {count} partitions (0 to {count - 1}).");
        }

        var (attempt, refusal) = await lines.Assignment.AssignAsync(partition, s_assignTimeout, cancellationToken).ConfigureAwait(false);
        if (attempt is not { } number)
        {
            return ProblemResponse.Conflict($"No attempt of partition {partition} can be assigned: {refusal}.");
        }

        Log.AttemptAssigned(logger, partition, number);
        return Results.Json(new AttemptAssignment(partition, number), ProtocolJson.Options);
    }

    /// <summary>Null when <paramref name="attempt"/> runs, otherwise the problem to answer.</summary>
    private static IResult? Find<TRow, TResult>(PartitionLines<TRow, TResult> lines, int partition, int attempt, string what, ILogger logger, out PartitionAttempt<TRow, TResult> current)
    {
        current = null!;
        var count = lines.Partitions.Count;
        if ((uint)partition >= (uint)count)
        {
            return ProblemResponse.NotFound($"Partition {partition} is unknown: this cluster has {count} partitions (0 to {count - 1}).");
        }

        var (held, over) = lines.LookUpAttempt(partition, attempt);
        if (what == ResultsRequest && held?.PostedResults.IsCompleted == true)
        {
            // Said before "over": an attempt that handed back its results ends right after, and a repeated post is the
            // worker's mistake to hear about, whichever came first.
            return AlreadyPosted(partition, attempt);
        }

        if (over is not null)
        {
            // Lost, failed, ended or replaced by a re-launch (for example a worker on a node that was cut off and came back): its worker
            // must stop, and nothing it sends counts. Gone, not a conflict: the attempt will never run again.
            Log.Over(logger, partition, attempt, over, what);
            return ProblemResponse.Gone($"Attempt {attempt} of partition {partition} is over: {over}. Its worker must stop: nothing it sends is taken any more.");
        }

        if (held is null)
        {
            Log.NotLaunched(logger, partition, attempt, what);
            return ProblemResponse.Conflict($"Attempt {attempt} of partition {partition} is not the partition's current attempt: this cluster run has not launched it.");
        }

        current = held;
        return null;
    }

    private static IResult Launch<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt)
    {
        var launch = attempt.Launch;
        var server = attempt.Server;
        JsonElement? settings = null;
        if (server.SettingsType is { } settingsType)
        {
            try
            {
                settings = JsonSerializer.SerializeToElement(server.Settings, settingsType, ProtocolJson.Options);
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException)
            {
                return ProblemResponse.Result(
                    StatusCodes.Status500InternalServerError,
                    "Settings not serializable",
                    $"The settings of server '{server.Name}' ({settingsType.Name}) cannot be sent to a worker as JSON: {ex.Message}");
            }
        }

        var options = launch.Server;
        return Results.Json(
            new AttemptLaunchResponse(
                launch.ClusterId,
                launch.Partition,
                launch.Attempt,
                launch.PartitionCount,
                server.Name,
                settings,
                new AttemptServerOptions(
                    options.BindAddress,
                    options.Ports.First,
                    options.Ports.Last,
                    options.AdvertisedHost,
                    (long)options.RegistrationTimeout.TotalMilliseconds,
                    (long)options.DrainTimeout.TotalMilliseconds))
            {
                Replica = launch.Replica,
                Tls = launch.Tls is not { } tls ? null
                    : tls.CertificateFiles is { } files ? new AttemptTlsOptions(AttemptTlsOptions.FromFiles, files.CertificatePath, files.KeyPath)
                    : new AttemptTlsOptions(AttemptTlsOptions.FromCoordinator, null, null),
            },
            ProtocolJson.Options);
    }

    private static async Task<IResult> StreamRowsAsync<TRow, TResult>(HttpContext context, PartitionAttempt<TRow, TResult> attempt, ILogger logger)
    {
        var cancellationToken = context.RequestAborted;
        var (partition, number) = (attempt.Launch.Partition, attempt.Launch.Attempt);
        var rows = attempt.ReadRowsAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            // The first row is read before the status line goes out, so a source that cannot be read at all
            // (a missing file, a bad first line) gets a clear 500 instead of a cut stream.
            bool any;
            try
            {
                any = await rows.MoveNextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                var failure = RowsFailed(attempt, ex, logger);
                return ProblemResponse.Result(StatusCodes.Status500InternalServerError, "Rows unavailable", failure);
            }

            context.Response.ContentType = WorkerProtocol.NdjsonMediaType;
            try
            {
                var count = await Ndjson.WriteAsync(context.Response.Body, Continue(rows, any), ProtocolJson.Options, cancellationToken).ConfigureAwait(false);
                Log.RowsSent(logger, partition, number, count);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Too late for a status code: cut the connection, so the worker sees a broken stream, never a short one.
                RowsFailed(attempt, ex, logger);
                context.Abort();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The worker went away while reading; its runner reports why.
        }
        finally
        {
            await rows.DisposeAsync().ConfigureAwait(false);
        }

        return Results.Empty;
    }

    private static async Task<IResult> ReceiveResultsAsync<TRow, TResult>(HttpContext context, PartitionLines<TRow, TResult> lines, PartitionAttempt<TRow, TResult> attempt, ILogger logger)
    {
        var (partition, number) = (attempt.Launch.Partition, attempt.Launch.Attempt);
        if (!IsNdjson(context.Request.ContentType))
        {
            return ProblemResponse.UnsupportedMediaType($"The results must be NDJSON (Content-Type: {WorkerProtocol.NdjsonMediaType}), one JSON value per line; the Content-Type was '{context.Request.ContentType}'.");
        }

        // Results can be large; the default request size limit is for user requests, not for this stream.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        var results = new List<TResult>();
        try
        {
            await foreach (var result in Ndjson.ReadAsync<TResult>(context.Request.Body, ProtocolJson.Options, context.RequestAborted).ConfigureAwait(false))
            {
                results.Add(result);
            }
        }
        catch (InvalidDataException ex)
        {
            return ProblemResponse.BadRequest($"The results of partition {partition} attempt {number} were refused: {ex.Message}");
        }

        // Checked again now that the body is in: the attempt may have been lost or ended while it streamed, and then
        // its results must be refused, never acknowledged and dropped.
        if (!attempt.TryPostResults(results))
        {
            return Find(lines, partition, number, ResultsRequest, logger, out _) ?? AlreadyPosted(partition, number);
        }

        Log.ResultsReceived(logger, partition, number, results.Count);
        return Results.Json(new PostedResultsResponse(partition, number, results.Count), ProtocolJson.Options);
    }

    private static IResult AlreadyPosted(int partition, int attempt) =>
        ProblemResponse.Conflict($"Attempt {attempt} of partition {partition} already posted its results; an attempt posts them once.");

    private static bool IsNdjson(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
        && string.Equals(media.MediaType.Value, WorkerProtocol.NdjsonMediaType, StringComparison.OrdinalIgnoreCase);

    private static string RowsFailed<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, Exception exception, ILogger logger)
    {
        var failure = $"reading the rows of partition {attempt.Launch.Partition} ({attempt.RowSource}) failed on the driver: {PartitionAttemptException.Describe(exception)}";
        attempt.RowsFailure = failure;
        Log.RowsFailed(logger, attempt.Launch.Partition, attempt.Launch.Attempt, failure, exception);
        return failure;
    }

    private static async IAsyncEnumerable<T> Continue<T>(IAsyncEnumerator<T> rows, bool hasCurrent)
    {
        for (var more = hasCurrent; more; more = await rows.MoveNextAsync().ConfigureAwait(false))
        {
            yield return rows.Current;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 240, Level = LogLevel.Debug, Message = "Partition {Partition} attempt {Attempt}: sent {Rows} rows to its worker.")]
        public static partial void RowsSent(ILogger logger, int partition, int attempt, int rows);

        [LoggerMessage(EventId = 241, Level = LogLevel.Error, Message = "Partition {Partition} attempt {Attempt}: {Failure}")]
        public static partial void RowsFailed(ILogger logger, int partition, int attempt, string failure, Exception exception);

        [LoggerMessage(EventId = 242, Level = LogLevel.Debug, Message = "Partition {Partition} attempt {Attempt}: received {Results} result rows from its worker.")]
        public static partial void ResultsReceived(ILogger logger, int partition, int attempt, int results);

        [LoggerMessage(EventId = 244, Level = LogLevel.Information, Message = "Partition {Partition} attempt {Attempt} was not launched by this cluster run: its request for {What} was refused.")]
        public static partial void NotLaunched(ILogger logger, int partition, int attempt, string what);

        [LoggerMessage(EventId = 245, Level = LogLevel.Information, Message = "Partition {Partition} attempt {Attempt} is over, so its request for {What} was refused: {Over}")]
        public static partial void Over(ILogger logger, int partition, int attempt, string over, string what);

        [LoggerMessage(EventId = 243, Level = LogLevel.Information, Message = "Partition {Partition}: assigned attempt {Attempt} to a worker its engine launched.")]
        public static partial void AttemptAssigned(ILogger logger, int partition, int attempt);
    }
}
