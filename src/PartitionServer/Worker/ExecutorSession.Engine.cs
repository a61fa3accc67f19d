using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Partitioned.Protocol;
using Partitioned.Security;
using Partitioned.Shared;

namespace Partitioned.Server;

/// <summary>An executor an engine launched (token file mode): it asks the coordinator for its attempts.</summary>
internal sealed partial class ExecutorSession
{
    /// <summary>How often an engine-launched executor asks for attempts and says which it runs.</summary>
    internal static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Asks the coordinator for up to its free slots in attempts, and says which it runs, every <see cref="PollInterval"/>:
    /// the answer assigns new attempts and names those of its attempts that are over (they stop). Ends when the cluster run
    /// takes no more attempts (410) and every attempt here ended, when the coordinator does not know this cluster or has not
    /// answered for <see cref="CoordinatorWatch.UnreachableLimit"/> (the driver is gone), when it refuses connections while no
    /// attempt runs here (the run is over, or the driver is gone), or when the engine stops it.
    /// </summary>
    /// <param name="gone">Fires when the engine stops the executor (SIGTERM or SIGINT).</param>
    /// <param name="goneReason">Why <paramref name="gone"/> fired.</param>
    /// <returns>The exit code and, if any, why attempts were abandoned.</returns>
    public async Task<(int Code, string? Failure)> PollCoordinatorAsync(Func<string?> goneReason, CancellationToken gone)
    {
        // An engine's retry of this executor (same id) is another incarnation: the coordinator then ends the first one's attempts.
        var incarnation = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        using var http = new HttpClient(PinnedTrust.Apply(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) }, environment.TrustedAuthorities))
        {
            BaseAddress = environment.Coordinator,
            Timeout = s_requestTimeout,
        };
        http.DefaultRequestHeaders.Authorization = token.CreateAuthorizationHeader();
        var path = WorkerProtocol.ExecutorAttemptsPath(environment.Executor!);
        var lastAnswer = Stopwatch.GetTimestamp();
        var runOver = false;
        string? end = null;
        while (end is null)
        {
            try
            {
                using var response = await http.PostAsJsonAsync(path, new ExecutorAttemptsRequest(incarnation, runOver ? 0 : Free, Running, environment.Node), ProtocolJson.Options, gone).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.Gone)
                {
                    // The cluster run takes no more attempts (it stops): what runs here is being shut down; wait for it.
                    lastAnswer = Stopwatch.GetTimestamp();
                    runOver = true;
                }
                else if (!response.IsSuccessStatusCode)
                {
                    var detail = await CoordinatorClient.ReadProblemDetailAsync(response, gone).ConfigureAwait(false);
                    end = $"the coordinator refused executor {environment.Executor} with {(int)response.StatusCode}: {detail}";
                    break;
                }
                else if (await response.Content.ReadFromJsonAsync<ExecutorAttemptsResponse>(ProtocolJson.Options, gone).ConfigureAwait(false) is { } answer)
                {
                    lastAnswer = Stopwatch.GetTimestamp();
                    foreach (var over in answer.Over)
                    {
                        Abandon(over.Partition, over.Attempt, "the coordinator says the attempt is over");
                    }

                    foreach (var assigned in answer.Assigned)
                    {
                        Log.Assigned(logger, environment.Executor!, assigned.Partition, assigned.Attempt);
                        Start(assigned.Partition, assigned.Attempt);
                    }
                }
            }
            catch (OperationCanceledException) when (gone.IsCancellationRequested)
            {
                break;
            }
            catch (HttpRequestException ex) when (Free == environment.Slots && ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                // Nothing runs here and nothing listens at the coordinator's address: the driver stopped the run (its
                // coordinator closes as soon as the last results are in, often before this executor's next request) or is
                // gone. Waiting out the unreachable limit would only hold the engine's task (a Slurm job) for nothing.
                end = "the coordinator is gone (connection refused) and no attempt runs here";
                break;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException)
            {
                if (Stopwatch.GetElapsedTime(lastAnswer) > CoordinatorWatch.UnreachableLimit)
                {
                    end = $"the coordinator did not answer for {CoordinatorWatch.UnreachableLimit.TotalSeconds:0} s, so the driver is taken to be gone";
                    break;
                }
            }

            if (runOver && Free == environment.Slots)
            {
                return await EndAsync("the cluster run is over").ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(PollInterval, gone).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        end ??= goneReason() ?? "the executor was stopped";
        if (gone.IsCancellationRequested)
        {
            // No driver watches this process: the coordinator hears of every attempt it abandons at once, not after failed health checks.
            using var coordinator = new CoordinatorClient(environment.Coordinator, token, TimeProvider.System, logger, environment.TrustedAuthorities.Count == 0 ? null : new PartitionTls(environment.TrustedAuthorities));
            await Task.WhenAll(Running.Select(a => coordinator.TryReportFailureAsync(new FailureReport(a.Partition, a.Attempt, $"abandoned: {end}"), CancellationToken.None))).ConfigureAwait(false);
        }

        return await EndAsync(end).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 49, Level = LogLevel.Information, Message = "Executor {Executor}: the coordinator assigned partition {Partition} attempt {Attempt}.")]
        public static partial void Assigned(ILogger logger, string executor, int partition, int attempt);
    }
}
