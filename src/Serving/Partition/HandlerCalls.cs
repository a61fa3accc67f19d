using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Partitioned.Serving;

/// <summary>
/// Calls a service's handler on a batch of requests and sees that each gets an answer: the handler's, or a clear error
/// when it threw (500 with the request's id, which the log carries next to the exception), forgot one (500), or was
/// told to give up because the partition stopped (503).
/// </summary>
internal sealed partial class HandlerCalls<TRequest, TReply>(ServiceDefinition<TRequest, TReply> definition, int partition, CancellationToken abort, ILogger logger, KeyValuePair<string, object?> serviceTag)
{
    private string Name => definition.Name;

    public async ValueTask ProcessAsync(IReadOnlyList<ServiceRequest<TRequest, TReply>> batch)
    {
        using var activity = StartActivity(batch);
        activity?.SetTag(ServingTelemetry.ServiceAttribute, Name);
        activity?.SetTag("partitioned.batch.size", batch.Count);
        ServingMetrics.BatchSize.Record(batch.Count, serviceTag);
        try
        {
            var handled = definition.Handler.HandleAsync(batch, abort);
            if (!handled.IsCompletedSuccessfully)
            {
                await handled.ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // The partition stopped and its drain time ran out: the handler was told to give up.
            foreach (var request in batch)
            {
                request.TryCompleteIfPending(ReplyOutcome<TReply>.Error(
                    StatusCodes.Status503ServiceUnavailable, "Partition stopping", $"Partition {partition} stopped before service '{Name}' finished request {request.Id}."));
            }

            return;
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(logger, Name, string.Join(", ", batch.Select(static r => r.Id)), ex);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            foreach (var request in batch)
            {
                request.TryCompleteIfPending(ReplyOutcome<TReply>.Error(
                    StatusCodes.Status500InternalServerError, "Handler failed", $"The '{Name}' handler threw {ex.GetType().Name} while processing request {request.Id}; the partition's log has the details under that id."));
            }

            return;
        }

        foreach (var request in batch)
        {
            request.TryCompleteIfPending(ReplyOutcome<TReply>.Error(
                StatusCodes.Status500InternalServerError, "No reply", $"The '{Name}' handler returned without replying to request {request.Id} (nor forwarding it)."));
        }
    }

    /// <summary>
    /// The handler call's activity: a child of the request's trace (the client's, through the gateway or the head node);
    /// a batch of several requests links to each of their traces instead.
    /// </summary>
    private static Activity? StartActivity(IReadOnlyList<ServiceRequest<TRequest, TReply>> batch)
    {
        if (!ServingMetrics.Activities.HasListeners())
        {
            return null;
        }

        if (batch.Count == 1)
        {
            return ServingMetrics.Activities.StartActivity("serve.batch", ActivityKind.Internal, batch[0].Parent);
        }

        var links = batch.Where(static r => r.Parent != default).Select(static r => new ActivityLink(r.Parent)).ToList();
        return ServingMetrics.Activities.StartActivity("serve.batch", ActivityKind.Internal, default(ActivityContext), links: links);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 400, Level = LogLevel.Error, Message = "Service '{Service}': the handler threw on requests {RequestIds}; each unanswered one got 500 with its id.")]
        public static partial void HandlerFailed(ILogger logger, string service, string requestIds, Exception exception);
    }
}
