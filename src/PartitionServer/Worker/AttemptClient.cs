using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using Partitioned.Protocol;
using Partitioned.Security;
using Partitioned.Shared;

namespace Partitioned.Server;

/// <summary>
/// The worker side of the attempt routes: get an attempt number (engine-launched workers), fetch the launch data,
/// stream the rows in, post the results, and check that the attempt is still current. Every call carries the
/// cluster token; only the current attempt is served.
/// </summary>
internal sealed class AttemptClient : IDisposable
{
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_launchRetryTimeout = TimeSpan.FromSeconds(10);

    // The coordinator holds an assignment request up to 30 s while the partition's next attempt is being launched.
    private static readonly TimeSpan s_assignTimeout = TimeSpan.FromSeconds(45);

    private readonly HttpClient _http;
    private readonly int _partition;
    private string _path;
    private volatile bool _resultsAccepted;

    public AttemptClient(Uri coordinator, ClusterToken token, int partition, int? attempt, IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2>? trustedAuthorities = null)
    {
        _http = new HttpClient(PinnedTrust.Apply(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) }, trustedAuthorities))
        {
            BaseAddress = coordinator,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.Authorization = token.CreateAuthorizationHeader();
        _partition = partition;
        _path = attempt is { } known ? WorkerProtocol.AttemptPath(partition, known) : WorkerProtocol.AssignPath(partition);
    }

    /// <summary>
    /// Asks the coordinator for this worker's attempt number (a worker an engine launched), retrying while it cannot
    /// be reached (up to 10 s); every later call is about that attempt.
    /// </summary>
    /// <exception cref="WorkerLaunchException">The coordinator refused, or stayed unreachable.</exception>
    public async Task<int> AssignAttemptAsync(CancellationToken cancellationToken)
    {
        var assignment = await SendWithRetryAsync<AttemptAssignment>(HttpMethod.Post, WorkerProtocol.AssignPath(_partition), "an attempt number", s_assignTimeout, cancellationToken).ConfigureAwait(false);
        _path = WorkerProtocol.AttemptPath(_partition, assignment.Attempt);
        return assignment.Attempt;
    }

    /// <summary>Fetches the launch data, retrying while the coordinator cannot be reached (up to 10 s).</summary>
    /// <exception cref="WorkerLaunchException">The coordinator refused, or stayed unreachable.</exception>
    public Task<AttemptLaunchResponse> GetLaunchAsync(CancellationToken cancellationToken) =>
        SendWithRetryAsync<AttemptLaunchResponse>(HttpMethod.Get, _path, "the launch data", s_requestTimeout, cancellationToken);

    /// <summary>True once the coordinator accepted this attempt's results: the attempt then ends, and that is no reason to stop.</summary>
    public bool ResultsAccepted => _resultsAccepted;

    /// <summary>Asks the coordinator whether it still runs this attempt.</summary>
    public async Task<AttemptCheck> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(s_requestTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Head, _path);
            using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? AttemptCheck.Current
                : response.StatusCode == HttpStatusCode.Gone ? AttemptCheck.Over
                : response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? AttemptCheck.NotCurrent
                : AttemptCheck.NoAnswer;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return AttemptCheck.NoAnswer;
        }
    }

    /// <summary>
    /// Why the coordinator says this attempt is over: the detail of its 410 on the launch route (a HEAD answer has no
    /// body). Best effort: null when it cannot be had.
    /// </summary>
    public async Task<string?> AskWhyOverAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(s_requestTimeout);
            using var response = await _http.GetAsync(_path, timeout.Token).ConfigureAwait(false);
            return response.StatusCode == HttpStatusCode.Gone ? await CoordinatorClient.ReadProblemDetailAsync(response, timeout.Token).ConfigureAwait(false) : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task<T> SendWithRetryAsync<T>(HttpMethod method, string path, string what, TimeSpan requestTimeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var backoff = new RetryBackoff(TimeSpan.FromMilliseconds(50), s_launchRetryTimeout);
        while (true)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(requestTimeout);
                using var request = new HttpRequestMessage(method, path);
                using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    var refusal = await DescribeRefusalAsync(what, path, response, cancellationToken).ConfigureAwait(false);
                    throw response.StatusCode == HttpStatusCode.Gone ? new AttemptOverException(refusal) : new WorkerLaunchException(refusal);
                }

                return await response.Content.ReadFromJsonAsync<T>(ProtocolJson.Options, cancellationToken).ConfigureAwait(false)
                    ?? throw new WorkerLaunchException($"The coordinator at {_http.BaseAddress} sent an empty reply for {what}.");
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                var delay = backoff.Next();
                if (Stopwatch.GetElapsedTime(started) + delay > s_launchRetryTimeout)
                {
                    throw new WorkerLaunchException($"The coordinator at {_http.BaseAddress} could not be reached for {what} within {s_launchRetryTimeout.TotalSeconds:0} s: {ex.Message}");
                }

                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Streams the partition's rows from the driver (read once).</summary>
    public async IAsyncEnumerable<TRow> ReadRowsAsync<TRow>([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(_path + "/rows", HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await RefusedAsync("the rows", response, cancellationToken).ConfigureAwait(false);
        }

        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            await foreach (var row in Ndjson.ReadAsync<TRow>(body, ProtocolJson.Options, cancellationToken).ConfigureAwait(false))
            {
                yield return row;
            }
        }
    }

    /// <summary>Posts the attempt's results to the driver.</summary>
    /// <exception cref="PartitionedException">The coordinator refused them.</exception>
    public async Task<PostedResultsResponse> PostResultsAsync<TResult>(IReadOnlyList<TResult> results, CancellationToken cancellationToken)
    {
        using var content = new NdjsonContent<TResult>(results);
        using var response = await _http.PostAsync(_path + "/results", content, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await RefusedAsync("the results", response, cancellationToken).ConfigureAwait(false);
        }

        _resultsAccepted = true;
        return await response.Content.ReadFromJsonAsync<PostedResultsResponse>(ProtocolJson.Options, cancellationToken).ConfigureAwait(false)
            ?? throw new PartitionedException("The coordinator accepted the results but sent an empty reply.");
    }

    public void Dispose() => _http.Dispose();

    private async Task<PartitionedException> RefusedAsync(string what, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var refusal = await DescribeRefusalAsync(what, _path, response, cancellationToken).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.Gone ? new AttemptOverException(refusal) : new PartitionedException(refusal);
    }

    private async Task<string> DescribeRefusalAsync(string what, string path, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var detail = await CoordinatorClient.ReadProblemDetailAsync(response, cancellationToken).ConfigureAwait(false);
        var hint = response.StatusCode switch
        {
            HttpStatusCode.Gone => " (the attempt is over: this worker stops)",
            HttpStatusCode.Conflict or HttpStatusCode.NotFound => " (the driver no longer runs this attempt)",
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => " (the token this worker was given is not the cluster's)",
            _ => string.Empty,
        };
        return $"The coordinator at {_http.BaseAddress} refused {what} of {path} with {(int)response.StatusCode}{hint}: {detail}";
    }
}
