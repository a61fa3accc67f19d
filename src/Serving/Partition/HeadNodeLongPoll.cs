using System.Net;
using Microsoft.Extensions.Logging;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// Head-node mode, partition side, over HTTP/1.1: pulls batches of a service's requests from the head node through the
/// coordinator (<c>POST /v1/serving/{service}/pull</c>, a long poll), as many as the service has room for, and hands
/// them to its <see cref="IHeadNodeWayIn"/>. The answers of the last batch ride on the next pull; answers produced while
/// a pull is under way go on their own to <c>/v1/serving/replies</c>. Stops when the partition stops, or when the head
/// node refuses the pulls (a newer attempt exists, or it no longer takes the service).
/// </summary>
internal sealed partial class HeadNodeLongPoll(ServingFeature feature, HttpClient coordinator, ILogger logger)
{
    public async Task RunAsync(IHeadNodeWayIn service, CancellationToken cancellationToken)
    {
        var replyTo = new Uri(feature.Context.Coordinator, "v1/serving/replies");
        var pull = SafeName.Append(feature.Context.Coordinator, "v1", "serving", service.Name, "pull");
        var backoff = HeadNodeLink.NewBackoff();
        while (!cancellationToken.IsCancellationRequested)
        {
            var room = service.PullRoom;
            try
            {
                if (room == 0)
                {
                    await service.WaitForPullRoomAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                // The answers of the last batch ride on this pull; any answer produced while it is under way goes on its own.
                var replies = service.Outbox.BeginPull();
                HttpResponseMessage response;
                try
                {
                    using var content = new ByteArrayContent(ServingWire.WritePull(new PullRequest(feature.Context.Partition, feature.Context.Attempt, room), replies));
                    content.Headers.ContentType = ServingWire.JsonContentType;
                    response = await coordinator.PostAsync(pull, content, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (replies.Count > 0 && ex is HttpRequestException or OperationCanceledException)
                {
                    // The answers did not arrive (nothing was sent, or the pull failed): send them on their own.
                    foreach (var reply in replies)
                    {
                        feature.Replies.Send(replyTo, reply);
                    }

                    throw;
                }
                finally
                {
                    service.Outbox.EndPull();
                }

                using var _ = response;
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    continue;
                }

                if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
                {
                    // A newer attempt of this partition exists, or the head node no longer serves this service.
                    Log.PullRefused(logger, service.Name, (int)response.StatusCode);
                    return;
                }

                response.EnsureSuccessStatusCode();
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                service.Accept(ServingWire.ReadRequests(body), replyTo);

                backoff.Reset();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Whatever went wrong, keep pulling: a partition that stopped pulling would serve nothing.
                Log.PullFailed(logger, service.Name, ex.Message);
                await Task.Delay(backoff.Next(), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 421, Level = LogLevel.Warning, Message = "Service '{Service}': pulling from the head node failed: {Reason}")]
        public static partial void PullFailed(ILogger logger, string service, string reason);

        [LoggerMessage(EventId = 422, Level = LogLevel.Information, Message = "Service '{Service}': the head node refused pulls ({Status}); this attempt stops pulling.")]
        public static partial void PullRefused(ILogger logger, string service, int status);
    }
}
