using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Security;
using Xunit.Abstractions;

namespace Partitioned.Tests.Tls;

/// <summary>Which transport a cluster uses, and what it refuses at start.</summary>
public sealed class TlsOptionsTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public void Dispose() => _logging.Factory.Dispose();

    [Fact]
    public void Transport_Unset_IsAutomaticWhenPartitionsRunElsewhere_AndCleartextOnThisMachine()
    {
        var elsewhere = new Clustering.Cluster<int, int>(TestClusters.Integers(2, 1), TestServers.RowsWith(), Remote() with { CoordinatorAdvertisedHost = "driver.cluster.example" });
        var local = new Clustering.Cluster<int, int>(TestClusters.Integers(2, 1), TestServers.RowsWith(), TestClusters.Options(_logging.Factory));

        elsewhere.Transport.Mode.Should().Be(TransportSecurityMode.Automatic);
        elsewhere.Transport.DriverCertificate!.MatchesHostname("driver.cluster.example").Should().BeTrue("the default names the advertised host too");
        local.Transport.Should().BeSameAs(TransportSecurity.Cleartext);
    }

    [Fact]
    public async Task StartAsync_CleartextWithPartitionsElsewhere_IsRefused_NamingTheOptIn()
    {
        await using var cluster = new Clustering.Cluster<int, int>(TestClusters.Integers(2, 1), TestServers.RowsWith(), Remote() with { Transport = TransportSecurity.Cleartext });

        var start = () => cluster.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("AllowCleartextAcrossHosts = true").And.Contain("runner 'external'");
    }

    [Fact]
    public void Problems_CleartextWithPartitionsElsewhere_AreNoneOnceTheUserOptsIn()
    {
        var options = Remote() with { Transport = TransportSecurity.Cleartext };

        TransportChecks.Problems(options, options.Transport).Should().ContainSingle().Which.Should().Contain(nameof(ClusterOptions.AllowCleartextAcrossHosts));
        TransportChecks.Problems(options with { AllowCleartextAcrossHosts = true }, options.Transport).Should().BeEmpty();
        TransportChecks.Problems(options with { Transport = null }, TransportChecks.Default(options)).Should().BeEmpty();
    }

    [Fact]
    public async Task StartAsync_DriverCertificateWithoutTheAdvertisedHost_IsRefused_NamingTheSetting()
    {
        var options = TestClusters.Options(_logging.Factory) with { Transport = TransportSecurity.Automatic(), CoordinatorAdvertisedHost = "not-this-machine.example" };
        await using var cluster = new Clustering.Cluster<int, int>(TestClusters.Integers(2, 1), TestServers.RowsWith(), options);

        var start = () => cluster.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should()
            .Contain("does not name 'not-this-machine.example'").And.Contain("CoordinatorAdvertisedHost").And.Contain("driverHosts");
    }

    [Fact]
    public void Configuration_TransportByName_IsRead_AndAnUnknownModeIsAnError()
    {
        ClusterOptions Read(string mode) => ClusterConfiguration.Apply(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Transport"] = mode, ["AllowCleartextAcrossHosts"] = "true" }).Build(),
            new ClusterOptions());

        Read("automatic").Transport!.Mode.Should().Be(TransportSecurityMode.Automatic);
        Read("cleartext").Should().Match<ClusterOptions>(o => o.Transport == TransportSecurity.Cleartext && o.AllowCleartextAcrossHosts);
        var unknown = () => Read("tls-please");
        unknown.Should().Throw<InvalidOperationException>().WithMessage("*Transport must be cleartext, automatic or tls*");
        var incomplete = () => Read("tls");
        incomplete.Should().Throw<InvalidOperationException>().WithMessage("*Tls:DriverCertificate, Tls:TrustedAuthorities, Tls:PartitionCertificate*");
    }

    [Fact]
    public void ClientKey_Export_CarriesTheAuthorities_AndParseReadsThemBack()
    {
        var authorities = TransportSecurity.Automatic().TrustedAuthorities;
        var key = ClientKey.Create().WithTrustedAuthorities(authorities);

        var parsed = ClientKey.Parse(key.Export());

        parsed.Value.Should().Be(key.Value);
        parsed.TrustedAuthorities.Select(static a => a.Thumbprint).Should().Equal(authorities.Select(static a => a.Thumbprint));
        ClientKey.Parse(key.Value).TrustedAuthorities.Should().BeEmpty();
        var broken = () => ClientKey.Parse(key.Value + " not-a-certificate");
        broken.Should().Throw<ArgumentException>().WithMessage("*not certificates*");
        key.ToString().Should().NotContain(key.Value);
    }

    // A runner whose workers are "elsewhere" (an engine that launches nothing), with addresses other machines could reach.
    private ClusterOptions Remote() => TestClusters.Options(_logging.Factory, new ExternalWorkersRunner((_, _) => Task.CompletedTask)) with
    {
        CoordinatorBindAddress = "0.0.0.0",
        CoordinatorAdvertisedHost = "127.0.0.1",
        Server = new Server.PartitionServerOptions { BindAddress = "0.0.0.0" },
    };
}
