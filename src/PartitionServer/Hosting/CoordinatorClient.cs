using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Protocol;
using Partitioned.Security;
using Partitioned.Shared;

namespace Partitioned.Server;

/// <summary>The partition side of the coordinator protocol: register (with retry) and report failures.</summary>
internal sealed partial class CoordinatorClient : IDisposable
{
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_firstBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(1);

    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public CoordinatorClient(Uri coordinator, ClusterToken token, TimeProvider time, ILogger logger, PartitionTls? tls = null)
    {
        _time = time;
        _logger = logger;
        var handler = PinnedTrust.Apply(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) }, tls?.TrustedAuthorities);
        _http = new HttpClient(handler) { BaseAddress = coordinator, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = token.CreateAuthorizationHeader();
    }

    /// <summary>Registers, retrying transient failures (connection refused, timeouts, 5xx) with backoff until <paramref name="timeout"/>.</summary>
    /// <exception cref="RegistrationFailedException">The coordinator refused, or did not answer in time.</exception>
    public async Task<RegistrationResponse> RegisterAsync(RegistrationRequest registration, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var backoff = new RetryBackoff(s_firstBackoff, s_maxBackoff);
        for (var tries = 1; ; tries++)
        {
            string failure;
            try
            {
                using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attemptTimeout.CancelAfter(s_requestTimeout);
                using var response = await _http.PostAsJsonAsync("v1/register", registration, ProtocolJson.Options, attemptTimeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return await response.Content.ReadFromJsonAsync<RegistrationResponse>(ProtocolJson.Options, cancellationToken).ConfigureAwait(false)
                        ?? throw new RegistrationFailedException("The coordinator accepted the registration but sent an empty reply.", (int)response.StatusCode);
                }

                var detail = await ReadProblemDetailAsync(response, cancellationToken).ConfigureAwait(false);
                if (!IsTransient(response.StatusCode))
                {
                    throw new RegistrationFailedException(
                        $"The coordinator at {_http.BaseAddress} refused the registration of partition {registration.Partition} attempt {registration.Attempt} with {(int)response.StatusCode}: {detail}",
                        (int)response.StatusCode);
                }

                failure = $"{(int)response.StatusCode}: {detail}";
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException)
            {
                failure = ex is OperationCanceledException ? $"no answer within {s_requestTimeout.TotalSeconds:0} s" : ex.Message;
            }

            var remaining = timeout - _time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                throw new RegistrationFailedException(
                    $"Gave up registering partition {registration.Partition} attempt {registration.Attempt} with the coordinator at {_http.BaseAddress} after {timeout.TotalSeconds:0.#} s and {tries} tries; last error: {failure}",
                    statusCode: null);
            }

            Log.RegistrationRetry(_logger, tries, failure);
            var delay = Jitter(backoff.Next());
            await Task.Delay(delay < remaining ? delay : remaining, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Tells the coordinator why an attempt failed. Best effort: a failure to report is logged, not thrown.</summary>
    public async Task TryReportFailureAsync(FailureReport report, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(s_requestTimeout);
            using var response = await _http.PostAsJsonAsync("v1/failures", report, ProtocolJson.Options, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                Log.ReportRefused(_logger, (int)response.StatusCode);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            Log.ReportFailed(_logger, ex.Message);
        }
    }

    public void Dispose() => _http.Dispose();

    private static bool IsTransient(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    private static TimeSpan Jitter(TimeSpan delay) => delay * (0.8 + (Random.Shared.NextDouble() * 0.4));

    internal static async Task<string> ReadProblemDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("detail", out var detail))
            {
                return detail.GetString() ?? body;
            }
        }
        catch (JsonException)
        {
        }

        return body.Length == 0 ? response.ReasonPhrase ?? "no details" : body;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "Registration try {Tries} failed ({Failure}); retrying.")]
        public static partial void RegistrationRetry(ILogger logger, int tries, string failure);

        [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "The coordinator refused a failure report with {StatusCode}.")]
        public static partial void ReportRefused(ILogger logger, int statusCode);

        [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "Could not report a failure to the coordinator: {Reason}")]
        public static partial void ReportFailed(ILogger logger, string reason);
    }
}
