using System.Net.Http.Json;
using Partitioned.Protocol;
using Partitioned.Shared;

namespace Partitioned.Server;

internal sealed partial class CoordinatorClient
{
    /// <summary>
    /// Asks the coordinator to sign a certificate for the attempt's key (automatic TLS), retrying transient failures
    /// (connection refused, timeouts, 5xx) with backoff until <paramref name="timeout"/>.
    /// </summary>
    /// <exception cref="PartitionedException">The coordinator refused, or did not answer in time; the message says why.</exception>
    public async Task<CertificateSigningResponse> RequestCertificateAsync(CertificateSigningRequest request, TimeSpan timeout, CancellationToken cancellationToken)
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
                using var response = await _http.PostAsJsonAsync("v1/certificates", request, ProtocolJson.Options, attemptTimeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return await response.Content.ReadFromJsonAsync<CertificateSigningResponse>(ProtocolJson.Options, cancellationToken).ConfigureAwait(false)
                        ?? throw new PartitionedException("The coordinator signed the certificate but sent an empty reply.");
                }

                var detail = await ReadProblemDetailAsync(response, cancellationToken).ConfigureAwait(false);
                if (!IsTransient(response.StatusCode))
                {
                    throw new PartitionedException(
                        $"The coordinator at {_http.BaseAddress} refused a certificate for partition {request.Partition} attempt {request.Attempt} at {request.Host} with {(int)response.StatusCode}: {detail}");
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
                throw new PartitionedException(
                    $"Gave up asking the coordinator at {_http.BaseAddress} for a certificate for partition {request.Partition} attempt {request.Attempt} after {timeout.TotalSeconds:0.#} s and {tries} tries; last error: {failure}");
            }

            var delay = Jitter(backoff.Next());
            await Task.Delay(delay < remaining ? delay : remaining, _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
