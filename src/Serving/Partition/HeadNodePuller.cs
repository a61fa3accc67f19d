using System.Net;
using System.Net.Http.Json;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Partitioned.Protocol;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// Head-node mode, partition side: when the coordinator says a head node takes requests for a service this
/// partition hosts, pull batches of them (long poll), queue them here, and answer through the reply router.
/// Pulls only as many as the local queue has room for; stops pulling when the partition starts stopping.
/// </summary>
internal sealed partial class HeadNodePuller(ServingFeature feature, HttpClient coordinator, ILogger logger, ILogger streamLogger)
{
    private static readonly TimeSpan s_firstBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(1);

    public async Task RunAsync(IReadOnlyDictionary<string, IServiceEndpoint> services, CancellationToken cancellationToken)
    {
        var info = await DiscoverAsync(cancellationToken).ConfigureAwait(false);
        var pulled = (info?.Services ?? []).Where(services.ContainsKey).Select(name => services[name]).ToList();
        foreach (var service in pulled)
        {
            Log.Pulling(logger, service.Name);
        }

        if (info is { GrpcAddress: { } address, StreamKey: { } key })
        {
            // One HTTP/2 connection carries every service's stream; pings find a dead ingress when no request flows.
            using var handler = feature.Context.CreateHttpHandler();
            handler.KeepAlivePingDelay = TimeSpan.FromSeconds(5);
            handler.KeepAlivePingTimeout = TimeSpan.FromSeconds(5);
            handler.EnableMultipleHttp2Connections = true;
            using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
            var stream = new HeadNodeStream(feature, channel, key, streamLogger);
            await Task.WhenAll(pulled.Select(service => FinishAsync(service, stream.RunAsync(service, cancellationToken)))).ConfigureAwait(false);
            return;
        }

        await Task.WhenAll(pulled.Select(service => PullLoopAsync(service, cancellationToken))).ConfigureAwait(false);
    }

    private static async Task FinishAsync(IServiceEndpoint service, Task streaming)
    {
        try
        {
            await streaming.ConfigureAwait(false);
        }
        finally
        {
            // No more requests come: answers still to come go out on their own.
            service.Outbox.Close();
        }
    }

    /// <summary>
    /// Asks the coordinator whether a head node runs, retrying until it answers: a partition that missed the head
    /// node because of a passing error would serve direct requests only, silently. 404 means no head node.
    /// </summary>
    private async Task<HeadNodeInfo?> DiscoverAsync(CancellationToken cancellationToken)
    {
        var backoff = new RetryBackoff(s_firstBackoff, s_maxBackoff);
        while (true)
        {
            try
            {
                using var response = await coordinator.GetAsync("v1/serving", cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    return null;
                }

                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    // The head node is starting (it starts once every partition serves): expected, so no warning.
                    await Task.Delay(backoff.Next(), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    continue;
                }

                response.EnsureSuccessStatusCode();
                return await response.Content.ReadFromJsonAsync<HeadNodeInfo>(ProtocolJson.Options, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception ex)
            {
                Log.DiscoveryFailed(logger, ex.Message);
                await Task.Delay(backoff.Next(), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task PullLoopAsync(IServiceEndpoint service, CancellationToken cancellationToken)
    {
        try
        {
            await PullUntilStoppedAsync(service, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // No more pulls: answers still to come go out on their own.
            service.Outbox.Close();
        }
    }

    private async Task PullUntilStoppedAsync(IServiceEndpoint service, CancellationToken cancellationToken)
    {
        var replyTo = new Uri(feature.Context.Coordinator, "v1/serving/replies");
        var pull = SafeName.Append(feature.Context.Coordinator, "v1", "serving", service.Name, "pull");
        var backoff = new RetryBackoff(s_firstBackoff, s_maxBackoff);
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
                service.AcceptPulled(ServingWire.ReadRequests(body), replyTo);

                backoff.Reset();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Whatever went wrong, keep pulling: a puller that died would leave this partition serving nothing.
                Log.PullFailed(logger, service.Name, ex.Message);
                await Task.Delay(backoff.Next(), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 420, Level = LogLevel.Information, Message = "Service '{Service}': pulling requests from the head node.")]
        public static partial void Pulling(ILogger logger, string service);

        [LoggerMessage(EventId = 421, Level = LogLevel.Warning, Message = "Service '{Service}': pulling from the head node failed: {Reason}")]
        public static partial void PullFailed(ILogger logger, string service, string reason);

        [LoggerMessage(EventId = 422, Level = LogLevel.Information, Message = "Service '{Service}': the head node refused pulls ({Status}); this attempt stops pulling.")]
        public static partial void PullRefused(ILogger logger, string service, int status);

        [LoggerMessage(EventId = 423, Level = LogLevel.Warning, Message = "Could not ask the coordinator whether a head node runs ({Reason}); retrying.")]
        public static partial void DiscoveryFailed(ILogger logger, string reason);
    }
}
