using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography.X509Certificates;
using Partitioned.Security;

namespace Partitioned.Coordination;

/// <summary>
/// How a cluster secures its connections: every listener (the coordinator, the partitions, the serving front) and every
/// caller (the driver, partitions calling each other, the gateway, remote clients). Three modes:
/// <list type="bullet">
/// <item><see cref="Cleartext"/>: plain HTTP.</item>
/// <item><see cref="Automatic"/>: TLS with a certificate authority made in memory for the cluster; each partition attempt
/// makes its own key and gets a short-lived certificate for the address it advertises, signed by the coordinator.</item>
/// <item><see cref="Tls(X509Certificate2, IEnumerable{X509Certificate2}, PartitionCertificateFiles)"/>: TLS with your own
/// certificates.</item>
/// </list>
/// Under TLS every caller trusts only <see cref="TrustedAuthorities"/> (never the machine's store), and checks that the
/// certificate names the host it dialled. See docs/security.md.
/// </summary>
public sealed class TransportSecurity
{
    /// <summary>The default lifetime of a partition attempt's certificate in automatic mode: 12 hours, renewed after half of it.</summary>
    public static readonly TimeSpan DefaultAttemptCertificateLifetime = TimeSpan.FromHours(12);

    // The authority and the driver's certificate live in this process's memory only, as long as the process; a year
    // bounds a driver that runs that long (restart it, or use your own certificates).
    private static readonly TimeSpan s_authorityLifetime = TimeSpan.FromDays(365);

    private TransportSecurity(TransportSecurityMode mode, X509Certificate2? driverCertificate, IReadOnlyList<X509Certificate2> trustedAuthorities, PartitionCertificateFiles? partitionCertificates, CertificateAuthority? authority, TimeSpan attemptCertificateLifetime)
    {
        Mode = mode;
        DriverCertificate = driverCertificate;
        TrustedAuthorities = trustedAuthorities;
        PartitionCertificates = partitionCertificates;
        Authority = authority;
        AttemptCertificateLifetime = attemptCertificateLifetime;
    }

    /// <summary>Plain HTTP. A cluster whose partitions run on other machines refuses it unless <c>ClusterOptions.AllowCleartextAcrossHosts</c> is set.</summary>
    public static TransportSecurity Cleartext { get; } = new(TransportSecurityMode.Cleartext, null, [], null, null, TimeSpan.Zero);

    /// <summary>Which of the three modes.</summary>
    public TransportSecurityMode Mode { get; }

    /// <summary>True under TLS (<see cref="TransportSecurityMode.Tls"/> or <see cref="TransportSecurityMode.Automatic"/>).</summary>
    public bool UsesTls => Mode != TransportSecurityMode.Cleartext;

    /// <summary>
    /// The certificate (with its private key) every listener on the driver presents: the coordinator, the gateway or the
    /// head node's front. Null in cleartext.
    /// </summary>
    public X509Certificate2? DriverCertificate { get; }

    /// <summary>
    /// The certificate authorities every caller trusts (public certificates; hand them to clients with their key:
    /// <c>ClientKey.WithTrustedAuthorities</c>). Empty in cleartext.
    /// </summary>
    public IReadOnlyList<X509Certificate2> TrustedAuthorities { get; }

    /// <summary>Where partitions find their certificates (<see cref="TransportSecurityMode.Tls"/> only); null otherwise.</summary>
    public PartitionCertificateFiles? PartitionCertificates { get; }

    /// <summary>How long a partition attempt's certificate is valid in automatic mode (it renews after half); zero otherwise.</summary>
    public TimeSpan AttemptCertificateLifetime { get; }

    /// <summary>The authority that signs attempts' certificates (automatic mode only).</summary>
    internal CertificateAuthority? Authority { get; }

    /// <summary>
    /// TLS with an in-memory certificate authority made now, for this cluster (and its restarts, while this value is used).
    /// The driver's certificate names this machine (its host name, <c>localhost</c>, the loopback addresses and every
    /// address its network interfaces have now) and <paramref name="driverHosts"/>; each partition attempt gets a
    /// certificate for the address it advertises, valid for <paramref name="attemptCertificateLifetime"/>.
    /// </summary>
    /// <param name="driverHosts">More names or addresses clients and partitions dial the driver at (a DNS alias, a load balancer's name).</param>
    /// <param name="attemptCertificateLifetime">Default <see cref="DefaultAttemptCertificateLifetime"/> (12 hours); from 5 minutes to 30 days.</param>
    /// <param name="timeProvider">The clock certificates are dated by. Default <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The lifetime is out of range.</exception>
    /// <exception cref="ArgumentException">A driver host is not a host name or an IP address.</exception>
    public static TransportSecurity Automatic(IEnumerable<string>? driverHosts = null, TimeSpan? attemptCertificateLifetime = null, TimeProvider? timeProvider = null)
    {
        var lifetime = attemptCertificateLifetime ?? DefaultAttemptCertificateLifetime;
        ArgumentOutOfRangeException.ThrowIfLessThan(lifetime, TimeSpan.FromMinutes(5), nameof(attemptCertificateLifetime));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lifetime, TimeSpan.FromDays(30), nameof(attemptCertificateLifetime));
        var extra = driverHosts?.ToList() ?? [];
        foreach (var host in extra)
        {
            if (string.IsNullOrWhiteSpace(host) || Uri.CheckHostName(host.Trim('[', ']')) == UriHostNameType.Unknown)
            {
                throw new ArgumentException($"Driver host '{host}' is not a host name or an IP address.", nameof(driverHosts));
            }
        }

        var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        var authority = CertificateAuthority.Create(now, s_authorityLifetime);
        var driver = authority.IssueWithKey([.. extra, .. MachineHosts()], now, s_authorityLifetime);
        return new TransportSecurity(TransportSecurityMode.Automatic, driver, [authority.Certificate], null, authority, lifetime);
    }

    /// <summary>TLS with your own certificates.</summary>
    /// <param name="driverCertificate">The driver's certificate with its private key: it must name every host the driver is dialled at (the coordinator's advertised host, the serving front's).</param>
    /// <param name="trustedAuthorities">The authorities that issued the driver's and the partitions' certificates: the only ones any caller trusts.</param>
    /// <param name="partitionCertificates">Where each partition finds its certificate, on its machine.</param>
    /// <exception cref="ArgumentException">The driver certificate has no private key, or no authority is given.</exception>
    public static TransportSecurity Tls(X509Certificate2 driverCertificate, IEnumerable<X509Certificate2> trustedAuthorities, PartitionCertificateFiles partitionCertificates)
    {
        ArgumentNullException.ThrowIfNull(driverCertificate);
        ArgumentNullException.ThrowIfNull(trustedAuthorities);
        ArgumentNullException.ThrowIfNull(partitionCertificates);
        ArgumentException.ThrowIfNullOrWhiteSpace(partitionCertificates.CertificatePath, nameof(partitionCertificates));
        if (!driverCertificate.HasPrivateKey)
        {
            throw new ArgumentException("The driver certificate must come with its private key: the coordinator and the serving front present it.", nameof(driverCertificate));
        }

        var authorities = trustedAuthorities.ToList();
        if (authorities.Count == 0 || authorities.Any(static a => a is null))
        {
            throw new ArgumentException("Give at least one trusted authority (the one that issued the driver's and the partitions' certificates), and no nulls.", nameof(trustedAuthorities));
        }

        return new TransportSecurity(TransportSecurityMode.Tls, driverCertificate, authorities, partitionCertificates, null, TimeSpan.Zero);
    }

    /// <summary>
    /// <see cref="Tls(X509Certificate2, IEnumerable{X509Certificate2}, PartitionCertificateFiles)"/> with the driver's
    /// certificate and the authorities read from files: a PEM file (certificate, and key unless <paramref name="driverKeyPath"/>
    /// is given) or a PKCS#12 file without password, and a PEM file of the authorities' certificates.
    /// </summary>
    /// <exception cref="InvalidOperationException">A file cannot be read; the message names it.</exception>
    public static TransportSecurity Tls(string driverCertificatePath, string? driverKeyPath, string trustedAuthoritiesPath, PartitionCertificateFiles partitionCertificates)
    {
        ArgumentException.ThrowIfNullOrEmpty(driverCertificatePath);
        ArgumentException.ThrowIfNullOrEmpty(trustedAuthoritiesPath);
        return Tls(CertificateFiles.LoadServerCertificate(driverCertificatePath, driverKeyPath), CertificateFiles.LoadPublicCertificates(trustedAuthoritiesPath), partitionCertificates);
    }

    /// <summary>
    /// A new HTTP handler that trusts exactly <see cref="TrustedAuthorities"/> and checks that a server's certificate names
    /// the host dialled (a plain handler in cleartext): for calling partitions or the serving front from your own code.
    /// </summary>
    public SocketsHttpHandler CreateHttpHandler() => PinnedTrust.CreateHandler(TrustedAuthorities);

    /// <inheritdoc />
    public override string ToString() => Mode switch
    {
        TransportSecurityMode.Automatic => $"automatic TLS (authority {TrustedAuthorities[0].Subject}, attempt certificates for {AttemptCertificateLifetime})",
        TransportSecurityMode.Tls => $"TLS (driver certificate {DriverCertificate!.Subject}, {TrustedAuthorities.Count} trusted authorities, partitions' certificates in {PartitionCertificates!.CertificatePath})",
        _ => "cleartext",
    };

    /// <summary>What this machine is dialled at: its name, localhost, loopback, and every address its interfaces have.</summary>
    private static IEnumerable<string> MachineHosts()
    {
        yield return Dns.GetHostName();
        yield return "localhost";
        yield return IPAddress.Loopback.ToString();
        yield return IPAddress.IPv6Loopback.ToString();
        IEnumerable<IPAddress> addresses;
        try
        {
            addresses = [.. NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(static i => i.GetIPProperties().UnicastAddresses)
                .Select(static a => a.Address)];
        }
        catch (NetworkInformationException)
        {
            addresses = [];
        }

        foreach (var address in addresses)
        {
            if (!(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal))
            {
                yield return address.ToString();
            }
        }
    }
}
