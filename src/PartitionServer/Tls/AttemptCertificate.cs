using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Partitioned.Protocol;
using Partitioned.Security;

namespace Partitioned.Server;

/// <summary>
/// A partition attempt's TLS certificate for the host it advertises, and its renewal. Automatic TLS: the attempt makes
/// an ECDSA key, sends a signing request to the coordinator over the token-authenticated channel, and asks again after
/// half the certificate's lifetime, so an attempt serves as long as it lives (its key never leaves the process). Files:
/// the certificate is read from the node, and read again when the file changes. Kestrel asks <see cref="Current"/> on
/// every handshake, so a renewed certificate serves the next connection.
/// </summary>
internal sealed partial class AttemptCertificate : IDisposable
{
    private static readonly TimeSpan s_retry = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan s_fileCheck = TimeSpan.FromMinutes(1);

    private readonly PartitionLaunch _launch;
    private readonly PartitionTls _tls;
    private readonly string _host;
    private readonly CoordinatorClient _coordinator;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<X509Certificate2> _retired = [];
    private X509Certificate2 _current = null!;
    private DateTime _filesWritten;

    private AttemptCertificate(PartitionLaunch launch, PartitionTls tls, string host, CoordinatorClient coordinator, TimeProvider time, ILogger logger)
    {
        _launch = launch;
        _tls = tls;
        _host = host;
        _coordinator = coordinator;
        _time = time;
        _logger = logger;
    }

    /// <summary>The certificate to present now.</summary>
    public X509Certificate2 Current => Volatile.Read(ref _current);

    /// <summary>Gets the attempt's first certificate, for <paramref name="host"/>.</summary>
    /// <exception cref="PartitionedException">The coordinator refused, or the certificate does not fit (another authority, another host).</exception>
    /// <exception cref="InvalidOperationException">The certificate files cannot be read.</exception>
    public static async Task<AttemptCertificate> ObtainAsync(PartitionLaunch launch, string host, CoordinatorClient coordinator, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var tls = launch.Tls ?? throw new InvalidOperationException("The attempt runs in cleartext: it has no certificate.");
        var certificate = new AttemptCertificate(launch, tls, host, coordinator, time, logger);
        certificate._current = await certificate.FetchAsync(cancellationToken).ConfigureAwait(false);
        Log.Obtained(logger, host, certificate.Current.NotAfter);
        return certificate;
    }

    /// <summary>Keeps the certificate fresh until <paramref name="stopping"/> fires; never throws (a failed renewal is retried and logged).</summary>
    public async Task RenewAsync(CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var current = Current;
                var wait = _tls.CertificateFiles is null ? RenewalDue(current) - _time.GetUtcNow() : s_fileCheck;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, stopping).ConfigureAwait(false);
                }

                if (_tls.CertificateFiles is not null && !FilesChanged())
                {
                    continue;
                }

                try
                {
                    var renewed = await FetchAsync(stopping).ConfigureAwait(false);
                    lock (_retired)
                    {
                        // Kept until the attempt ends: a handshake under way may still hold the old one.
                        _retired.Add(Interlocked.Exchange(ref _current, renewed));
                    }

                    Log.Renewed(_logger, _host, renewed.NotAfter);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
                {
                    Log.RenewalFailed(_logger, _host, current.NotAfter, ex.Message);
                    await Task.Delay(s_retry, _time, stopping).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    public void Dispose()
    {
        lock (_retired)
        {
            foreach (var certificate in _retired)
            {
                certificate.Dispose();
            }

            _retired.Clear();
        }

        Current?.Dispose();
    }

    // After half the lifetime: a renewal that fails has the other half to succeed.
    private static DateTimeOffset RenewalDue(X509Certificate2 certificate)
    {
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        return notBefore + ((new DateTimeOffset(certificate.NotAfter.ToUniversalTime()) - notBefore) / 2);
    }

    private async Task<X509Certificate2> FetchAsync(CancellationToken cancellationToken)
    {
        var certificate = _tls.CertificateFiles is { } files ? ReadFiles(files) : await SignAsync(cancellationToken).ConfigureAwait(false);
        var trust = PinnedTrust.For(_tls.TrustedAuthorities);
        if (trust is null || !trust.Accepts(certificate, _host))
        {
            var what = _tls.CertificateFiles is { } f ? $"The certificate in {CertificateFiles.ForNode(f.CertificatePath, Node)}" : "The certificate the coordinator signed";
            var subject = certificate.Subject;
            certificate.Dispose();
            throw new PartitionedException(
                $"{what} ({subject}) would be refused by every caller: it must chain to one of the cluster's trusted authorities, be valid now, and name {_host}, the host this partition advertises (PartitionServerOptions.AdvertisedHost, or its address on the route to the coordinator).");
        }

        return certificate;
    }

    private async Task<X509Certificate2> SignAsync(CancellationToken cancellationToken)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(_host.Trim('[', ']'));
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        var signed = await _coordinator.RequestCertificateAsync(
            new CertificateSigningRequest(_launch.Partition, _launch.Attempt, _host, request.CreateSigningRequestPem()),
            _launch.Server.RegistrationTimeout,
            cancellationToken).ConfigureAwait(false);
        using var issued = X509Certificate2.CreateFromPem(signed.Certificate);
        if (!issued.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            throw new PartitionedException("The coordinator signed a certificate for another key than this attempt's.");
        }

        using var withKey = issued.CopyWithPrivateKey(key);

        // Through PKCS#12, so the key is usable by TLS on every platform (an ephemeral key is not on Windows).
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
    }

    private X509Certificate2 ReadFiles(PartitionCertificateFiles files)
    {
        _filesWritten = LastWritten(files);
        return CertificateFiles.LoadServerCertificate(CertificateFiles.ForNode(files.CertificatePath, Node), files.KeyPath is null ? null : CertificateFiles.ForNode(files.KeyPath, Node));
    }

    private bool FilesChanged() => LastWritten(_tls.CertificateFiles!) != _filesWritten;

    private DateTime LastWritten(PartitionCertificateFiles files)
    {
        var certificate = File.GetLastWriteTimeUtc(CertificateFiles.ForNode(files.CertificatePath, Node));
        var key = files.KeyPath is null ? DateTime.MinValue : File.GetLastWriteTimeUtc(CertificateFiles.ForNode(files.KeyPath, Node));
        return certificate > key ? certificate : key;
    }

    private string Node => _launch.Node ?? Environment.MachineName;

    private static partial class Log
    {
        [LoggerMessage(EventId = 902, Level = LogLevel.Debug, Message = "TLS certificate for {Host} obtained, valid until {NotAfter}.")]
        public static partial void Obtained(ILogger logger, string host, DateTime notAfter);

        [LoggerMessage(EventId = 903, Level = LogLevel.Information, Message = "TLS certificate for {Host} renewed, valid until {NotAfter}.")]
        public static partial void Renewed(ILogger logger, string host, DateTime notAfter);

        [LoggerMessage(EventId = 904, Level = LogLevel.Warning, Message = "Renewing the TLS certificate for {Host} failed (the current one is valid until {NotAfter}); retrying in a minute: {Reason}")]
        public static partial void RenewalFailed(ILogger logger, string host, DateTime notAfter, string reason);
    }
}
