using System.Net;
using System.Net.Http.Json;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Partitioned.Protocol;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// Head-node mode, partition side: asks the coordinator whether a head node takes requests for the services this
/// partition hosts, and if so runs one transport per such service until the partition stops: a gRPC stream
/// (<see cref="HeadNodeStream"/>) when the head node offers one, long polls through the coordinator
/// (<see cref="HeadNodeLongPoll"/>) otherwise.
/// </summary>
internal sealed partial class HeadNodeLink(ServingFeature feature, HttpClient coordinator, ILoggerFactory loggerFactory)
{
    private static readonly TimeSpan s_firstBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(1);

    /// <summary>How every way to the head node (discovery, long polls, streams) waits between tries: 50 ms, doubling to 1 s.</summary>
    internal static RetryBackoff NewBackoff() => new(s_firstBackoff, s_maxBackoff);

    private readonly ILogger _logger = loggerFactory.CreateLogger<HeadNodeLink>();

    public async Task RunAsync(IReadOnlyDictionary<string, IServiceHost> services, CancellationToken cancellationToken)
    {
        var info = await DiscoverAsync(cancellationToken).ConfigureAwait(false);
        var served = (info?.Services ?? []).Where(services.ContainsKey).Select(name => services[name].HeadNode).ToList();
        foreach (var service in served)
        {
            Log.Taking(_logger, service.Name);
        }

        if (info is { GrpcAddress: { } address, StreamKey: { } key })
        {
            // One HTTP/2 connection carries every service's stream; pings find a dead head node when no request flows.
            using var handler = feature.Context.CreateHttpHandler();
            handler.KeepAlivePingDelay = TimeSpan.FromSeconds(5);
            handler.KeepAlivePingTimeout = TimeSpan.FromSeconds(5);
            handler.EnableMultipleHttp2Connections = true;
            using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
            var stream = new HeadNodeStream(feature, channel, key, loggerFactory.CreateLogger<HeadNodeStream>());
            await Task.WhenAll(served.Select(service => FinishAsync(service, stream.RunAsync(service, cancellationToken)))).ConfigureAwait(false);
            return;
        }

        var longPoll = new HeadNodeLongPoll(feature, coordinator, loggerFactory.CreateLogger<HeadNodeLongPoll>());
        await Task.WhenAll(served.Select(service => FinishAsync(service, longPoll.RunAsync(service, cancellationToken)))).ConfigureAwait(false);
    }

    private static async Task FinishAsync(IHeadNodeWayIn service, Task transport)
    {
        try
        {
            await transport.ConfigureAwait(false);
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
        var backoff = NewBackoff();
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
                Log.DiscoveryFailed(_logger, ex.Message);
                await Task.Delay(backoff.Next(), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 420, Level = LogLevel.Information, Message = "Service '{Service}': taking requests from the head node.")]
        public static partial void Taking(ILogger logger, string service);

        [LoggerMessage(EventId = 423, Level = LogLevel.Warning, Message = "Could not ask the coordinator whether a head node runs ({Reason}); retrying.")]
        public static partial void DiscoveryFailed(ILogger logger, string reason);
    }
}
