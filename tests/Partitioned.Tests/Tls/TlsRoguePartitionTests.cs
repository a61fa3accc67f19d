using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Serving;
using Xunit.Abstractions;

namespace Partitioned.Tests.Tls;

/// <summary>
/// A partition endpoint presenting a certificate the cluster must not accept (another authority's, an expired one, one
/// for another address) is refused by the driver's clients and by the gateway before any request reaches it; the same
/// endpoint with a good certificate is served (so the checks can fail).
/// </summary>
public sealed class TlsRoguePartitionTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public enum Presented
    {
        Valid,
        OtherAuthority,
        Expired,
        OtherAddress,
    }

    public void Dispose() => _logging.Factory.Dispose();

    [Theory]
    [InlineData(Presented.Valid)]
    [InlineData(Presented.OtherAuthority)]
    [InlineData(Presented.Expired)]
    [InlineData(Presented.OtherAddress)]
    public async Task PartitionCertificate_DriverClientAndGateway_AcceptOnlyTheClustersValidCertificateForTheAddress(Presented presented)
    {
        var transport = TransportSecurity.Automatic();
        await using var serving = await ServingCluster.StartAsync(
            TestClusters.Integers(4, 2),
            TestServers.ServingWith(),
            new ServingOptions(),
            TestClusters.Options(_logging.Factory) with { Transport = transport, HealthCheckInterval = TimeSpan.FromHours(1), StopTimeout = TimeSpan.FromSeconds(2) });
        using var certificate = Certificate(transport, presented);
        await using var rogue = await RogueServer.StartAsync(certificate);

        // Partition 1's next attempt "registers" at the rogue endpoint; partition 0 is lost, so the gateway has only it.
        var directory = serving.Cluster.Directory;
        directory.Admit(1, 1);
        var announces = new Dictionary<string, string> { ["partitioned.serving/services"] = "hello" };
        directory.Register(1, 1, rogue.Address, labels: announces).Result.Should().Be(RegistrationResult.Accepted);
        directory.MarkLost(0, 0, "taken out by the test");

        var driver = () => serving.Cluster.GetClient(1).GetStringAsync("rows");
        using var front = new HttpClient(transport.CreateHttpHandler()) { BaseAddress = serving.Address };
        var gateway = await front.PostAsJsonAsync("serve/hello", new HelloRequest("abc", 1));

        if (presented == Presented.Valid)
        {
            (await driver()).Should().Be("[\"rogue\"]");
            gateway.StatusCode.Should().Be(HttpStatusCode.OK);
            rogue.Requests.Should().Be(2);
        }
        else
        {
            (await driver.Should().ThrowAsync<HttpRequestException>()).Which.HttpRequestError.Should().Be(HttpRequestError.SecureConnectionError);
            gateway.StatusCode.Should().Be(HttpStatusCode.BadGateway);
            rogue.Requests.Should().Be(0, "no request may reach an endpoint whose certificate was refused");
        }
    }

    private static X509Certificate2 Certificate(TransportSecurity transport, Presented presented)
    {
        var now = DateTimeOffset.UtcNow;
        return presented switch
        {
            Presented.Valid => transport.Authority!.IssueWithKey(["127.0.0.1"], now, TimeSpan.FromHours(1)),
            Presented.OtherAuthority => TransportSecurity.Automatic().Authority!.IssueWithKey(["127.0.0.1"], now, TimeSpan.FromHours(1)),
            Presented.Expired => transport.Authority!.IssueWithKey(["127.0.0.1"], now - TimeSpan.FromDays(2), TimeSpan.FromDays(1)),
            _ => transport.Authority!.IssueWithKey(["127.0.0.2"], now, TimeSpan.FromHours(1)),
        };
    }

    /// <summary>An endpoint on 127.0.0.1 that answers like a partition, presenting whatever certificate it is given, and counts requests.</summary>
    private sealed class RogueServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _requests;

        private RogueServer(WebApplication app) => _app = app;

        public Uri Address { get; private set; } = null!;

        public int Requests => Volatile.Read(ref _requests);

        public static async Task<RogueServer> StartAsync(X509Certificate2 certificate)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
            var app = builder.Build();
            var rogue = new RogueServer(app);
            app.Use(async (context, next) =>
            {
                Interlocked.Increment(ref rogue._requests);
                await next(context);
            });
            app.MapGet("/app/rows", () => new[] { "rogue" });
            app.MapPost("/serve/{name}", () => Results.Json(new HelloReply(3)));
            await app.StartAsync();
            var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            rogue.Address = new Uri($"https://127.0.0.1:{bound.Port}/");
            return rogue;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
