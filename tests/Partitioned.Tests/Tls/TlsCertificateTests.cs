using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Protocol;
using Partitioned.Security;
using Partitioned.Server;
using Xunit.Abstractions;
using CoordinatorHost = Partitioned.Coordination.Coordinator;

namespace Partitioned.Tests.Tls;

/// <summary>Where partitions' certificates come from: signed by the coordinator (automatic), renewed, or read from the user's files.</summary>
public sealed class TlsCertificateTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);
    private readonly string _folder = Directory.CreateTempSubdirectory("partitioned-tls-").FullName;

    public void Dispose()
    {
        _logging.Factory.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task SignRoute_SignsOnlyTheCurrentAttempt_ForTheAddressTheRequestCameFrom()
    {
        var token = ClusterToken.Create();
        var transport = TransportSecurity.Automatic(attemptCertificateLifetime: TimeSpan.FromHours(2));
        await using var coordinator = await StartCoordinatorAsync(token, transport);
        coordinator.AdmitAttempt(0, 1);
        using var http = new HttpClient(transport.CreateHttpHandler()) { BaseAddress = coordinator.Address };
        http.DefaultRequestHeaders.Authorization = token.CreateAuthorizationHeader();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=whoever", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();

        var signed = await http.PostAsJsonAsync("v1/certificates", new CertificateSigningRequest(0, 1, "127.0.0.1", csr));
        var stale = await http.PostAsJsonAsync("v1/certificates", new CertificateSigningRequest(0, 0, "127.0.0.1", csr));
        var elsewhere = await http.PostAsJsonAsync("v1/certificates", new CertificateSigningRequest(0, 1, "10.9.9.9", csr));
        var garbage = await http.PostAsJsonAsync("v1/certificates", new CertificateSigningRequest(0, 1, "127.0.0.1", "not a request"));

        signed.StatusCode.Should().Be(HttpStatusCode.OK);
        var reply = (await signed.Content.ReadFromJsonAsync<CertificateSigningResponse>())!;
        using var certificate = X509Certificate2.CreateFromPem(reply.Certificate);
        certificate.MatchesHostname("127.0.0.1").Should().BeTrue();
        certificate.MatchesHostname("10.9.9.9").Should().BeFalse();
        certificate.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo().Should().Equal(key.ExportSubjectPublicKeyInfo());
        (certificate.NotAfter - certificate.NotBefore).Should().BeCloseTo(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1));
        stale.StatusCode.Should().Be(HttpStatusCode.Conflict);
        elsewhere.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await elsewhere.Content.ReadAsStringAsync()).Should().Contain("not the address this request came from (127.0.0.1)");
        garbage.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task SignRoute_WithAClientKey_OrOnACleartextCoordinator_IsNotThere()
    {
        var token = ClusterToken.Create();
        var key = ClientKey.Create();
        var transport = TransportSecurity.Automatic();
        await using var automatic = await StartCoordinatorAsync(token, transport, [key]);
        await using var cleartext = await StartCoordinatorAsync(token, TransportSecurity.Cleartext);
        using var keyHolder = new HttpClient(transport.CreateHttpHandler()) { BaseAddress = automatic.Address };
        keyHolder.DefaultRequestHeaders.Authorization = new("Bearer", key.Value);
        using var plain = new HttpClient { BaseAddress = cleartext.Address };
        plain.DefaultRequestHeaders.Authorization = token.CreateAuthorizationHeader();
        var request = new CertificateSigningRequest(0, 0, "127.0.0.1", "x");

        (await keyHolder.PostAsJsonAsync("v1/certificates", request)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await plain.PostAsJsonAsync("v1/certificates", request)).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AttemptCertificate_AfterHalfItsLifetime_IsRenewedForTheSameHost()
    {
        // The fake clock starts 40 minutes back, so certificates dated by it (1 hour long) and their renewal (after 30
        // minutes) are all valid by the real clock every TLS check uses.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow - TimeSpan.FromMinutes(40));
        var token = ClusterToken.Create();
        var transport = TransportSecurity.Automatic(attemptCertificateLifetime: TimeSpan.FromHours(1), timeProvider: time);
        await using var coordinator = await StartCoordinatorAsync(token, transport, time: time);
        coordinator.AdmitAttempt(0, 0);
        var launch = new PartitionLaunch("c", 0, 0, 1, coordinator.Address, token) { Tls = new PartitionTls(transport.TrustedAuthorities) };
        var logger = _logging.Factory.CreateLogger("renewal");
        using var client = new CoordinatorClient(coordinator.Address, token, time, logger, launch.Tls);
        using var certificate = await AttemptCertificate.ObtainAsync(launch, "127.0.0.1", client, time, logger, CancellationToken.None);
        var first = certificate.Current;
        using var stop = new CancellationTokenSource();
        var renewing = certificate.RenewAsync(stop.Token);

        time.Advance(TimeSpan.FromMinutes(31));

        await Eventually.TrueAsync(() => !ReferenceEquals(certificate.Current, first), "the certificate was renewed");
        certificate.Current.NotAfter.Should().BeAfter(first.NotAfter);
        certificate.Current.MatchesHostname("127.0.0.1").Should().BeTrue();
        await stop.CancelAsync();
        await renewing;
        _logging.Logs.Text.Should().Contain("TLS certificate for 127.0.0.1 renewed");
    }

    [Fact]
    public async Task Tls_WithTheUsersCertificates_FromFiles_EveryEndpointServesThem()
    {
        var transport = UserTransport(partitionHost: "127.0.0.1");
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 2), TestServers.RowsWith(), TestClusters.Options(_logging.Factory) with { Transport = transport });

        cluster.Hosts.Values.Should().OnlyContain(endpoint => endpoint.Scheme == "https");
        (await cluster.GetClient(1).GetFromJsonAsync<int[]>("rows")).Should().Equal(2, 3);
        using var pinned = new HttpClient(transport.CreateHttpHandler());
        (await pinned.GetAsync(new Uri(cluster.Hosts[0], "app/rows"))).IsSuccessStatusCode.Should().BeTrue();
    }

    [Fact]
    public async Task Tls_PartitionCertificateForAnotherAddress_FailsTheAttempt_SayingWhy()
    {
        var transport = UserTransport(partitionHost: "10.9.9.9");
        var options = TestClusters.Options(_logging.Factory) with { Transport = transport, MaxAttempts = 1 };

        var start = () => Clustering.Cluster.StartAsync(TestClusters.Integers(2, 1), TestServers.RowsWith(), options);

        (await start.Should().ThrowAsync<PartitionFailedException>()).Which.Message.Should()
            .Contain("would be refused by every caller").And.Contain("name 127.0.0.1");
    }

    private async Task<CoordinatorHost> StartCoordinatorAsync(ClusterToken token, TransportSecurity transport, IReadOnlyList<ClientKey>? keys = null, TimeProvider? time = null) =>
        await CoordinatorHost.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 1,
            Token = token,
            ClientKeys = keys ?? [],
            Transport = transport,
            HealthCheckInterval = TimeSpan.FromHours(1),
            LoggerFactory = _logging.Factory,
            TimeProvider = time ?? TimeProvider.System,
        });

    /// <summary>TLS as a user sets it up: their own authority, a driver certificate, and a partition certificate in PEM files.</summary>
    private TransportSecurity UserTransport(string partitionHost)
    {
        var now = DateTimeOffset.UtcNow;
        using var authority = CertificateAuthority.Create(now, TimeSpan.FromDays(1));
        File.WriteAllText(Path.Combine(_folder, "ca.pem"), authority.Certificate.ExportCertificatePem());
        using var driver = authority.IssueWithKey(["127.0.0.1", "localhost", System.Net.Dns.GetHostName()], now, TimeSpan.FromDays(1));
        File.WriteAllText(Path.Combine(_folder, "driver.pem"), driver.ExportCertificatePem() + "\n" + driver.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        using var partition = authority.IssueWithKey([partitionHost], now, TimeSpan.FromDays(1));
        var node = Environment.MachineName;
        File.WriteAllText(Path.Combine(_folder, $"{node}.crt"), partition.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_folder, $"{node}.key"), partition.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return TransportSecurity.Tls(
            Path.Combine(_folder, "driver.pem"),
            driverKeyPath: null,
            Path.Combine(_folder, "ca.pem"),
            new PartitionCertificateFiles(Path.Combine(_folder, "{node}.crt"), Path.Combine(_folder, "{node}.key")));
    }
}
