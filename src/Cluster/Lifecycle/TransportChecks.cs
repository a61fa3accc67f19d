using System.Net;
using Partitioned.Coordination;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>
/// What a cluster checks about its transport before it starts: no cleartext across machines unless the user opted in,
/// and a driver certificate that names the host partitions and clients dial the coordinator at. Found at start with a
/// message that names the setting, instead of every partition failing its handshake a minute later.
/// </summary>
internal static class TransportChecks
{
    /// <summary>The transport a cluster uses when <see cref="ClusterOptions.Transport"/> is unset: TLS when traffic leaves this machine.</summary>
    public static TransportSecurity Default(ClusterOptions options)
    {
        if (options.Runner?.PartitionsRunElsewhere != true)
        {
            return TransportSecurity.Cleartext;
        }

        var advertised = options.CoordinatorAdvertisedHost;
        var extra = advertised is not null && Uri.CheckHostName(advertised.Trim('[', ']')) != UriHostNameType.Unknown ? [advertised] : Array.Empty<string>();
        return TransportSecurity.Automatic(extra, timeProvider: options.TimeProvider);
    }

    public static IEnumerable<string> Problems(ClusterOptions options, TransportSecurity? transport)
    {
        if (transport is null)
        {
            yield break;
        }

        if (transport.Mode == TransportSecurityMode.Cleartext && options.Runner?.PartitionsRunElsewhere == true && !options.AllowCleartextAcrossHosts)
        {
            yield return $"{nameof(ClusterOptions.Transport)} is {nameof(TransportSecurity)}.{nameof(TransportSecurity.Cleartext)}, but runner '{options.Runner.Name}' runs partitions on other machines: " +
                "the cluster token, client keys and request bodies would cross the network readable by anyone on it. Leave Transport unset (automatic TLS) or use " +
                $"{nameof(TransportSecurity)}.{nameof(TransportSecurity.Automatic)}() or {nameof(TransportSecurity)}.{nameof(TransportSecurity.Tls)}(...); to accept cleartext on a network you trust, set {nameof(ClusterOptions.AllowCleartextAcrossHosts)} = true.";
        }

        if (transport.DriverCertificate is { } certificate && CoordinatorHost(options) is { } host
            && !certificate.MatchesHostname(host.Trim('[', ']'), allowWildcards: true, allowCommonName: false))
        {
            yield return $"The driver certificate ({nameof(ClusterOptions.Transport)}.{nameof(TransportSecurity.DriverCertificate)}, {certificate.Subject}) does not name '{host}', " +
                $"the host partitions and clients dial the coordinator at ({nameof(ClusterOptions.CoordinatorAdvertisedHost)}, else {nameof(ClusterOptions.CoordinatorBindAddress)} or this machine's name): " +
                $"use a certificate that names it, or {nameof(TransportSecurity)}.{nameof(TransportSecurity.Automatic)}(driverHosts: [\"{host}\"]).";
        }
    }

    /// <summary>What the coordinator advertises (see <c>KestrelApp.GetBoundAddress</c>): the advertised host, else the bind address, else (a wildcard) this machine's name.</summary>
    private static string? CoordinatorHost(ClusterOptions options) =>
        !KestrelApp.TryParseBindAddress(options.CoordinatorBindAddress, out var bind) ? null
            : options.CoordinatorAdvertisedHost ?? (bind.Equals(IPAddress.Any) || bind.Equals(IPAddress.IPv6Any) ? Dns.GetHostName() : bind.ToString());
}
