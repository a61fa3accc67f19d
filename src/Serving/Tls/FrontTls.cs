using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Partitioned.Coordination;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// TLS on the serving front (the gateway or the head node's ingress): it presents the driver's certificate, which must
/// name the host clients dial (the front's bind address, or this machine's name for a wildcard).
/// </summary>
internal static class FrontTls
{
    /// <summary>The certificate the front serves TLS with, or null in cleartext.</summary>
    public static Func<X509Certificate2>? Certificate(TransportSecurity transport) =>
        transport.DriverCertificate is { } certificate ? () => certificate : null;

    /// <exception cref="OptionsValidationException">The driver certificate does not name the front's host.</exception>
    public static void ThrowIfUncovered(ServingOptions options, TransportSecurity transport)
    {
        if (transport.DriverCertificate is not { } certificate || !KestrelApp.TryParseBindAddress(options.BindAddress, out var bind))
        {
            return;
        }

        var host = bind.Equals(IPAddress.Any) || bind.Equals(IPAddress.IPv6Any) ? Dns.GetHostName() : bind.ToString();
        if (!certificate.MatchesHostname(host, allowWildcards: true, allowCommonName: false))
        {
            throw new OptionsValidationException(nameof(ServingOptions), typeof(ServingOptions), [
                $"The driver certificate (ClusterOptions.Transport.DriverCertificate, {certificate.Subject}) does not name '{host}', where clients dial the serving front ({nameof(ServingOptions)}.{nameof(ServingOptions.BindAddress)} {options.BindAddress}): bind an address it names, or give a certificate that names '{host}'"]);
        }
    }
}
