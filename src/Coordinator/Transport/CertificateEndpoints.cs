using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Partitioned.Protocol;
using Partitioned.Shared;

namespace Partitioned.Coordination;

/// <summary>
/// Automatic TLS's signing route, <c>POST /v1/certificates</c> (cluster token only): a partition attempt sends a signing
/// request for a key it made, and gets a short-lived certificate for the address its request came from. The attempt's
/// private key never travels, and nobody gets a certificate for an address it does not send from, or for an attempt
/// that is not current.
/// </summary>
internal static partial class CertificateEndpoints
{
    private static readonly TimeSpan s_resolveTimeout = TimeSpan.FromSeconds(5);

    public static void Map(IEndpointRouteBuilder v1, PartitionDirectory directory, CoordinatorOptions options, ILogger logger)
    {
        if (options.Transport.Authority is not { } authority)
        {
            return;
        }

        v1.MapPost("/certificates", (HttpContext context, CancellationToken cancellationToken) =>
            SignAsync(context, directory, authority, options, logger, cancellationToken));
    }

    private static async Task<IResult> SignAsync(HttpContext context, PartitionDirectory directory, CertificateAuthority authority, CoordinatorOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var (request, problem) = await JsonBody.ReadAsync<CertificateSigningRequest>(context.Request, ProtocolJson.Options, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var (partition, attempt) = (request!.Partition, request.Attempt);
        if ((uint)partition >= (uint)directory.Current.PartitionCount)
        {
            return ProblemResponse.BadRequest($"Partition {partition} is unknown: this cluster has {directory.Current.PartitionCount} partitions (0 to {directory.Current.PartitionCount - 1}).");
        }

        if (!directory.MayHoldCertificate(partition, attempt))
        {
            Log.Refused(logger, partition, attempt, "it is not the partition's current attempt");
            return ProblemResponse.Conflict($"Attempt {attempt} of partition {partition} is not the partition's current attempt (it ended, a newer attempt replaced it, or it was never launched): it gets no certificate.");
        }

        CertificateRequest csr;
        try
        {
            csr = CertificateRequest.LoadSigningRequestPem(request.Csr, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return ProblemResponse.BadRequest($"csr must be a PKCS#10 signing request in PEM (-----BEGIN CERTIFICATE REQUEST-----), signed with the attempt's key: {ex.Message}");
        }

        if (context.Connection.RemoteIpAddress is not { } remote)
        {
            return ProblemResponse.BadRequest("The coordinator cannot tell the address this request came from, so it cannot sign a certificate for it.");
        }

        remote = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        var host = request.Host?.Trim() ?? string.Empty;
        if (!await IsAddressOfAsync(host, remote, cancellationToken).ConfigureAwait(false))
        {
            Log.Refused(logger, partition, attempt, $"it asked for {host} from {remote}");
            return ProblemResponse.BadRequest(
                $"host '{host}' is not the address this request came from ({remote}), nor a name that resolves to it here: the coordinator signs a certificate only for the " +
                $"address a partition reaches it from. Let partitions advertise their address on the route to the coordinator (the default), or set PartitionServerOptions.AdvertisedHost to a name that resolves to {remote} on the driver.");
        }

        var now = options.TimeProvider.GetUtcNow();
        using var certificate = authority.Issue(csr, remote.ToString() == host.Trim('[', ']') ? [host] : [host, remote.ToString()], now, options.Transport.AttemptCertificateLifetime);
        Log.Signed(logger, partition, attempt, host, certificate.NotAfter);
        return Results.Json(new CertificateSigningResponse(certificate.ExportCertificatePem(), new DateTimeOffset(certificate.NotAfter.ToUniversalTime())), ProtocolJson.Options);
    }

    /// <summary>True when <paramref name="host"/> is <paramref name="remote"/>, or a name that resolves (here) to it.</summary>
    private static async Task<bool> IsAddressOfAsync(string host, IPAddress remote, CancellationToken cancellationToken)
    {
        if (host.Length == 0)
        {
            return false;
        }

        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            return (literal.IsIPv4MappedToIPv6 ? literal.MapToIPv4() : literal).Equals(remote);
        }

        if (Uri.CheckHostName(host) != UriHostNameType.Dns)
        {
            return false;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_resolveTimeout);
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, timeout.Token).ConfigureAwait(false);
            return addresses.Any(a => (a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).Equals(remote));
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 900, Level = LogLevel.Debug, Message = "Signed a certificate for partition {Partition} attempt {Attempt} at {Host}, valid until {NotAfter}.")]
        public static partial void Signed(ILogger logger, int partition, int attempt, string host, DateTime notAfter);

        [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "Refused to sign a certificate for partition {Partition} attempt {Attempt}: {Reason}.")]
        public static partial void Refused(ILogger logger, int partition, int attempt, string reason);
    }
}
